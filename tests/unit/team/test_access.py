"""The access policy of a team server and each run's owner record (tuneboard/team/access.py)."""
import json
import threading

import pytest

from tuneboard.errors import PermissionDenied
from tuneboard.team import access
from tuneboard.team.access import LOCAL, User, can, require

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


def verified(email: str, **claims: object) -> dict:
    return {"email": email, "email_verified": True, "iss": "https://id.example.com", **claims}


def test_admins_come_from_the_environment_and_the_settings(monkeypatch):
    monkeypatch.setenv("TUNEBOARD_ADMINS", "Ops@Example.com, root@example.com")
    assert access.admin_ids(["lead@example.com"]) == {"ops@example.com", "root@example.com", "lead@example.com"}
    assert access.user_from_claims(verified("ROOT@example.com", name="Root")).is_admin
    assert access.user_from_claims(verified("x@example.com"), admins=["x@example.com"]).is_admin
    assert not access.user_from_claims(verified("bob@example.com", name="Bob")).is_admin


def test_a_login_is_known_by_its_verified_email_else_its_issuer_and_subject(monkeypatch):
    monkeypatch.setenv("TUNEBOARD_ADMINS", "ops@example.com")
    user = access.user_from_claims(verified("bob@example.com", name="Bob", sub="42"))
    assert (user.id, user.label) == ("bob@example.com", "Bob")
    # An unverified address could be anyone's, an admin's included: the issuer's subject is used instead.
    sneaky = access.user_from_claims({"email": "ops@example.com", "email_verified": False, "sub": "77",
                                      "iss": "https://id.example.com"})
    assert sneaky.id == "https://id.example.com|77" and not sneaky.is_admin
    with pytest.raises(PermissionDenied, match="no verified e-mail"):
        access.user_from_claims({"name": "Nobody"})


def test_a_missing_email_verified_claim_is_not_a_verified_email(monkeypatch):
    monkeypatch.setenv("TUNEBOARD_ADMINS", "ops@example.com")
    user = access.user_from_claims({"email": "ops@example.com", "sub": "9", "iss": "https://id.example.com"})
    assert user.id == "https://id.example.com|9" and not user.is_admin
    assert access.user_from_claims({"email": "ops@example.com", "email_verified": "true", "sub": "9",
                                    "iss": "https://id.example.com"}).id != "ops@example.com"


def test_equal_subjects_of_two_providers_are_two_people():
    one = access.user_from_claims({"sub": "1", "iss": "https://okta.example.com"})
    other = access.user_from_claims({"sub": "1", "iss": "https://accounts.google.com"})
    assert one.id != other.id
    with pytest.raises(PermissionDenied):  # a subject without its issuer names nobody in particular
        access.user_from_claims({"sub": "1"})


@pytest.mark.parametrize("look_alike", ["\u212Aate@example.com",  # Kelvin sign
                                        "\uff4bate@example.com",  # full-width k
                                        "kate@exa\u217Fple.com"])  # the Roman numeral one thousand
def test_a_verified_look_alike_of_an_admins_address_is_not_that_admin(monkeypatch, look_alike):
    monkeypatch.setenv("TUNEBOARD_ADMINS", "kate@example.com")
    user = access.user_from_claims(verified(look_alike, sub="666"))
    assert not user.is_admin and user.id == "https://id.example.com|666"
    assert not access.can(user, "delete", "kate@example.com")


def test_ids_are_compared_after_nfkc_normalisation():
    assert access.normalize("\uff21lice@Example.com ") == "alice@example.com"  # a full-width A
    assert access.User("ALICE@example.com").id == "alice@example.com"


def test_runs_owned_by_an_email_stay_that_persons_after_login(tmp_path):
    access.record_owner(tmp_path, "alice@example.com")
    alice = access.user_from_claims(verified("Alice@Example.com", sub="a"))
    assert access.allowed(alice, "delete", tmp_path)


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
