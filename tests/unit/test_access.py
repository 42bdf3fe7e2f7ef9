"""The access policy of a team server and each run's owner record (tuneboard/access.py)."""
import json
import threading

import pytest

from tuneboard import access
from tuneboard.access import LOCAL, User, can, require
from tuneboard.errors import PermissionDenied

ALICE, BOB = User("alice@example.com", "Alice"), User("bob@example.com", "Bob")
ADMIN = User("ops@example.com", "Ops", is_admin=True)
CHANGES = ("stop", "delete", "set_threshold", "relabel", "export", "resume", "share", "deploy")


@pytest.mark.parametrize("action", CHANGES)
def test_only_the_owner_or_an_admin_may_change_a_run(action):
    assert can(ALICE, action, "alice@example.com")
    assert not can(BOB, action, "alice@example.com")
    assert not can(BOB, action, "alice@example.com", shared=True)  # sharing opens the texts, nothing else
    assert can(ADMIN, action, "alice@example.com")


def test_teammates_see_every_run_but_its_texts_only_when_shared():
    assert can(BOB, "view", "alice@example.com")
    assert not can(BOB, "view_texts", "alice@example.com", shared=False)
    assert can(BOB, "view_texts", "alice@example.com", shared=True)
    assert can(ALICE, "view_texts", "alice@example.com", shared=False)


def test_runs_without_an_owner_belong_to_local_so_only_admins_change_them():
    assert not can(BOB, "delete", None)
    assert can(BOB, "view", None)
    assert can(LOCAL, "delete", None) and can(LOCAL, "delete", "alice@example.com")  # single-user: all allowed


def test_ids_compare_without_case_or_spaces():
    assert User(" Alice@Example.COM ").id == "alice@example.com"
    assert can(User("ALICE@example.com"), "delete", "alice@EXAMPLE.com ")


def test_an_unknown_action_is_a_bug_not_a_no():
    with pytest.raises(ValueError, match="Unknown action 'delet'"):
        can(ALICE, "delet", "alice@example.com")


def test_require_says_in_one_line_who_owns_the_run_and_what_to_do():
    require(ALICE, "export", "alice@example.com")
    with pytest.raises(PermissionDenied) as e:
        require(BOB, "set_threshold", "alice@example.com")
    message = str(e.value)
    assert "\n" not in message
    assert "may not change the threshold" in message and "alice@example.com" in message
    assert "admin" in message


def test_admins_come_from_the_environment_and_the_settings(monkeypatch):
    monkeypatch.setenv("TUNEBOARD_ADMINS", "Ops@Example.com, root@example.com")
    assert access.admin_ids(["lead@example.com"]) == {"ops@example.com", "root@example.com", "lead@example.com"}
    assert access.user_from_claims({"email": "ROOT@example.com", "name": "Root"}).is_admin
    assert access.user_from_claims({"email": "x@example.com"}, admins=["x@example.com"]).is_admin
    assert not access.user_from_claims({"email": "bob@example.com", "name": "Bob"}).is_admin


def test_a_login_is_known_by_its_verified_email_else_its_subject(monkeypatch):
    monkeypatch.setenv("TUNEBOARD_ADMINS", "ops@example.com")
    user = access.user_from_claims({"email": "bob@example.com", "name": "Bob", "sub": "42"})
    assert (user.id, user.label) == ("bob@example.com", "Bob")
    # An unverified address could be anyone's, an admin's included: the subject is used instead.
    sneaky = access.user_from_claims({"email": "ops@example.com", "email_verified": False, "sub": "77"})
    assert sneaky.id == "77" and not sneaky.is_admin
    with pytest.raises(PermissionDenied, match="no e-mail and no subject"):
        access.user_from_claims({"name": "Nobody"})


def test_owner_record_round_trip_and_sharing(tmp_path):
    assert access.run_owner(tmp_path) == "local" and not access.is_shared(tmp_path)
    access.record_owner(tmp_path, ALICE)
    assert access.run_owner(tmp_path) == "alice@example.com" and not access.is_shared(tmp_path)
    access.set_shared(tmp_path, True)
    assert access.is_shared(tmp_path) and access.run_owner(tmp_path) == "alice@example.com"
    assert access.allowed(BOB, "view_texts", tmp_path) and not access.allowed(BOB, "delete", tmp_path)
    with pytest.raises(PermissionDenied):
        access.check(BOB, "delete", tmp_path)
    access.check(ALICE, "delete", tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["owner.json"]  # no temp file left behind


@pytest.mark.parametrize("content", ["", "{\"owner\": ", "[1, 2]", "{\"shared\": true}", "{\"owner\": \"\"}"])
def test_a_torn_or_odd_owner_file_fails_closed(tmp_path, content):
    (tmp_path / "owner.json").write_text(content)
    assert access.owner_record(tmp_path) == {"owner": "local", "shared": False}
    assert not access.allowed(BOB, "delete", tmp_path) and not access.allowed(BOB, "view_texts", tmp_path)


def test_shared_must_be_true_not_just_truthy(tmp_path):
    (tmp_path / "owner.json").write_text(json.dumps({"owner": "alice@example.com", "shared": "no"}))
    assert not access.is_shared(tmp_path)


def test_concurrent_sharing_never_leaves_a_half_written_owner_file(tmp_path):
    access.record_owner(tmp_path, ALICE)
    errors = []

    def flip(n):
        for i in range(50):
            access.set_shared(tmp_path, (i + n) % 2 == 0)
            try:
                json.loads((tmp_path / "owner.json").read_text())
            except ValueError as e:
                errors.append(e)

    threads = [threading.Thread(target=flip, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and access.run_owner(tmp_path) == "alice@example.com"
    assert [p.name for p in tmp_path.iterdir()] == ["owner.json"]
