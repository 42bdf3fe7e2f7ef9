#!/usr/bin/env python3
"""Generate the Tuneboard demo datasets in ``examples/``.

Standard library only. Every dataset is built from its own fresh
``random.Random(7)``, so re-running this script reproduces byte-identical
files (and editing one generator never changes the other files).

    python examples/make_demo.py            # write all CSVs next to this file
    python examples/make_demo.py --check    # also print counts + 10 random rows each

The text is synthetic: compositional templates (openings x intent-specific
core sentences with slot fillers x optional extra / closing sentences) plus a
little realistic noise (lowercase, typos, exclamation marks). No real customer
data is involved.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import re
import sys
from collections import Counter
from pathlib import Path

SEED = 7
HERE = Path(__file__).resolve().parent

# ---------------------------------------------------------------------------
# Shared slot fillers. The fictional company sells smart-home devices with a
# companion app and paid subscription plans (so it is both SaaS and e-commerce).
# ---------------------------------------------------------------------------

PRODUCTS = [
    "smart thermostat", "indoor camera", "outdoor camera", "video doorbell",
    "smart plug 4-pack", "smart bulb starter kit", "motion sensor",
    "water leak sensor", "smart lock", "air quality monitor", "wifi extender",
    "home hub", "window sensor", "smart smoke alarm", "robot vacuum",
]
PLANS = [
    "Pro plan", "Premium subscription", "Family plan", "annual plan",
    "monthly plan", "Plus membership", "Business plan", "Home Protect plan",
]
FEATURES = [
    "live view", "motion alerts", "the energy report", "scheduling",
    "the activity history", "the device settings", "the dashboard",
    "the camera timeline", "geofencing", "the automation editor",
]
DEVICES = [
    "iPhone", "iPhone 14", "Pixel 7", "Samsung Galaxy S22", "iPad",
    "Android tablet", "Chrome on Windows", "Safari on my Mac", "Firefox",
    "OnePlus phone", "work laptop",
]
BROWSERS = ["Chrome", "Firefox", "Safari", "Edge", "Brave"]
INTEGRATIONS = ["Alexa", "Google Home", "Apple HomeKit", "IFTTT", "SmartThings"]
ERRORS = [
    "error 502", "error code E-104", "a 'something went wrong' message",
    "error 403", "a timeout error", "error E-2201", "'unable to reach server'",
]
CARRIERS = ["UPS", "FedEx", "USPS", "DHL", "the courier"]
CITIES = [
    "Denver", "Austin", "Toronto", "Chicago", "Seattle", "Boston", "Atlanta",
    "Portland", "Phoenix", "Miami", "San Diego", "Brooklyn", "Vancouver",
]
COUNTRIES = ["Canada", "the UK", "Germany", "Australia", "Mexico", "Ireland"]
FIRST_NAMES = [
    "Sarah", "Mike", "Priya", "Tom", "Jenny", "Carlos", "Aisha", "Ben",
    "Olivia", "Raj", "Emma", "Luis", "Hannah", "Kevin", "Mei", "Daniel",
    "Fatima", "Jake", "Nora", "Sam", "Grace", "Omar", "Lucy", "Pete",
]
LAST_NAMES = ["Miller", "Chen", "Patel", "Garcia", "Nguyen", "Smith", "Kowalski",
              "Okafor", "Rossi", "Brown", "Lee", "Jensen"]
DATES = [  # adverbial: "it stopped working {date}"
    "yesterday", "last Tuesday", "last week", "on Monday", "on the 14th",
    "two weeks ago", "on March 3rd", "this morning", "on Friday", "on June 12",
    "a few days ago", "over the weekend",
]
DAYS = [  # after a preposition: "since {day}", "before {day}"
    "Monday", "last Tuesday", "the 14th", "March 3rd", "Friday", "June 12",
    "yesterday", "last week", "the weekend", "the 1st",
]
END_DATES = ["the 14th", "March 3rd", "June 12", "the 1st", "the 30th", "May 28"]
PROMOS = ["SPRING20", "WELCOME10", "BF2024", "HOME15", "FRIENDS25", "SAVE30"]


def _order(rng: random.Random) -> str:
    n = rng.randint(10000, 99999)
    style = rng.randrange(4)
    if style == 0:
        return f"#{n}"
    if style == 1:
        return f"ORD-{n}"
    if style == 2:
        return f"#A{n}"
    return str(rng.randint(100000, 999999))


def _amount(rng: random.Random) -> str:
    base = rng.choice([9.99, 12.99, 14.99, 19.99, 29.99, 49.0, 59.99, 79.0,
                       99.0, 119.99, 149.0, 189.99, 249.0])
    if rng.random() < 0.3:
        base = round(base * rng.uniform(1.05, 2.2), 2)
    return f"${base:.2f}"


def _email(rng: random.Random) -> str:
    first = rng.choice(FIRST_NAMES).lower()
    last = rng.choice(LAST_NAMES).lower()
    user = rng.choice([f"{first}.{last}", f"{first}{rng.randint(1, 99)}",
                       f"{first[0]}{last}", f"{first}_{last[:3]}"])
    dom = rng.choice(["gmail.com", "outlook.com", "yahoo.com", "icloud.com",
                      "hey.com", "proton.me"])
    return f"{user}@{dom}"


def _card(rng: random.Random) -> str:
    return rng.choice([
        f"Visa ending in {rng.randint(1000, 9999)}",
        f"Mastercard ending {rng.randint(1000, 9999)}",
        "Amex", "debit card", "PayPal account", "company card",
    ])


SLOTS = {
    "order": _order,
    "amount": _amount,
    "email": _email,
    "card": _card,
    "product": lambda r: r.choice(PRODUCTS),
    "product2": lambda r: r.choice(PRODUCTS),
    "plan": lambda r: r.choice(PLANS),
    "feature": lambda r: r.choice(FEATURES),
    "device": lambda r: r.choice(DEVICES),
    "browser": lambda r: r.choice(BROWSERS),
    "integration": lambda r: r.choice(INTEGRATIONS),
    "error": lambda r: r.choice(ERRORS),
    "carrier": lambda r: r.choice(CARRIERS),
    "city": lambda r: r.choice(CITIES),
    "country": lambda r: r.choice(COUNTRIES),
    "name": lambda r: r.choice(FIRST_NAMES),
    "date": lambda r: r.choice(DATES),
    "day": lambda r: r.choice(DAYS),
    "ends_on": lambda r: r.choice(END_DATES),
    "promo": lambda r: r.choice(PROMOS),
    "days": lambda r: str(r.randint(3, 21)),
    "n": lambda r: str(r.randint(2, 6)),
    "years": lambda r: r.choice(["two", "three", "5", "a couple of", "several"]),
    "pct": lambda r: str(r.choice([12, 37, 45, 60, 78, 88, 99])),
    "version": lambda r: f"{r.randint(3, 5)}.{r.randint(0, 9)}.{r.randint(0, 12)}",
}
_SLOT_RE = re.compile(r"\{(\w+)\}")


def fill(template: str, rng: random.Random) -> str:
    """Replace each ``{slot}`` with a fresh random filler."""
    return _SLOT_RE.sub(lambda m: SLOTS[m.group(1)](rng), template)


# ---------------------------------------------------------------------------
# Realistic noise
# ---------------------------------------------------------------------------

CONTRACTIONS = [("can't", "cant"), ("don't", "dont"), ("I'm", "im"),
                ("didn't", "didnt"), ("won't", "wont"), ("it's", "its"),
                ("doesn't", "doesnt"), ("I've", "ive"), ("isn't", "isnt")]


def typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 5]
    if not idx:
        return text
    i = rng.choice(idx)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # swap two adjacent letters
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    elif kind == 1:  # drop a letter
        w = w[:j] + w[j + 1:]
    else:  # double a letter
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def add_noise(text: str, rng: random.Random, *, lower=0.12, typos=0.14,
              bang=0.12, sloppy=0.12) -> str:
    if rng.random() < sloppy:
        for a, b in CONTRACTIONS:
            text = text.replace(a, b)
    if rng.random() < typos:
        text = typo(text, rng)
        if rng.random() < 0.3:
            text = typo(text, rng)
    if rng.random() < bang and text.endswith("."):
        text = text[:-1] + rng.choice(["!", "!!", "!!!", "?!"])
    if rng.random() < lower:
        text = text.lower()
        if rng.random() < 0.5 and text[-1] in ".!":
            text = text[:-1]
    return text


def words(text: str) -> int:
    return len(text.split())


def write_csv(path: Path, header: list[str], rows: list[tuple]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


# ---------------------------------------------------------------------------
# 1. support_tickets.csv  (single-label intent classification)
# ---------------------------------------------------------------------------

GREETINGS = [
    "Hi,", "Hello,", "Hey there,", "Hi team,", "Good morning,", "Hi support,",
    "Hello support team,", "Hey,", "Hi there,", "Good afternoon,",
    "Hello, hope you're well.", "Hi {name} here.", "Dear support,",
]
OPENERS = [
    "Quick question.", "Not sure if this is the right place to ask.",
    "I've been a customer for {years} years.", "Sorry to bother you again.",
    "I've emailed twice already with no response.", "Long time user here.",
    "I'm writing on behalf of my company.", "Need some help please.",
    "First time contacting you.", "Hoping you can help me out.",
]
CLOSINGS = [
    "Thanks!", "Thank you.", "Please help.", "Any help appreciated.",
    "Thanks in advance, {name}", "Please advise.", "This is really frustrating.",
    "Cheers", "thx", "Looking forward to hearing from you.", "- {name}",
    "Thanks so much!", "Please get back to me asap.", "Appreciate it.",
    "Regards, {name}", "Thank you for your help!",
]

INTENT_CORES = {
    "billing": [
        "I was charged twice for my {plan} this month.",
        "There's a charge of {amount} on my {card} that I don't recognize.",
        "Why did my bill go up to {amount}? I thought the {plan} was cheaper.",
        "can you send me an invoice for order {order}? I need it for my company expenses",
        "My card was declined but the payment still shows as pending on my end.",
        "I upgraded to the {plan} {date} and got billed the full price instead of a prorated amount.",
        "The promo code {promo} didn't apply at checkout and I paid full price.",
        "How do I update the credit card on file? The old one expired.",
        "I was charged {amount} in sales tax, is that right? We're a tax-exempt nonprofit.",
        "I got billed for the annual plan but I picked monthly.",
        "I need a receipt with our VAT number on it for order {order}.",
        "I see two pending charges of {amount} from you on my bank statement.",
        "You charged me in euros instead of dollars and my bank added a conversion fee.",
        "My free trial was supposed to last 30 days but you charged me after {days} days.",
        "Can we switch from paying with my {card} to paying by invoice?",
        "The price on the website said {amount} but my receipt shows more.",
        "I was overcharged on the last invoice, the seat count is wrong.",
        "Is there a discount for students or nonprofits on the {plan}?",
        "The billing page says my payment failed but my bank says it went through.",
        "Could you explain the 'service fee' line on my latest invoice?",
        "I want to change the billing address printed on future invoices.",
        "Please refund the duplicate charge from {day}.",
        "When will I get my money back for the double charge? It's been {days} days.",
        "How do I download past invoices? I can only see the latest one.",
        "We added {n} users to our workspace and the bill tripled, can someone explain the pricing?",
        "Your system keeps retrying a payment on a card I removed.",
        "Do you accept PayPal or only cards? My company card keeps getting rejected.",
        "I paid {amount} for order {order} but my gift card balance wasn't applied.",
        "the auto-renewal charged me {amount} without any reminder email",
        "Our accountant needs a statement of every payment we made this year.",
        "I was charged {amount} for the {product} but the listed price was lower.",
        "My invoice shows the {plan} twice, we only have one subscription.",
    ],
    "technical_issue": [
        "The app keeps crashing when I open {feature} on my {device}.",
        "My {product} won't connect to wifi after the latest update.",
        "I'm getting {error} every time I try to load the dashboard.",
        "{feature} has been broken since version {version}.",
        "The {product} shows offline in the app even though it's plugged in and the light is green.",
        "Push notifications stopped working on my {device}.",
        "Pairing the {product} fails at the last step, it just spins forever.",
        "The export to CSV gives me an empty file.",
        "Live view is super laggy and freezes after a few seconds.",
        "The {product} keeps disconnecting every few hours.",
        "I can't get the {integration} integration to work, it says device not found.",
        "The firmware update got stuck at {pct}% and now the {product} won't turn on.",
        "The schedule I set isn't running, the lights just stay on all night.",
        "The web app won't load in {browser}, just a blank white screen.",
        "The temperature reading on my thermostat is off by like 5 degrees.",
        "Motion alerts arrive several minutes late, which makes them useless.",
        "Changes I make on my phone don't sync to the tablet.",
        "the app drains my battery like crazy since the update",
        "When I click save on the settings page nothing happens.",
        "Your API returns a 500 error for the devices endpoint since this morning.",
        "Video recordings from {day} are missing from the history.",
        "The {product} makes a clicking noise and restarts by itself.",
        "Reports show zero usage for the past week which is clearly wrong.",
        "The setup wizard crashes on step 3 on my {device}.",
        "I reset the {product} to factory settings and now the app can't find it.",
        "Bluetooth keeps dropping between the hub and my {product}.",
        "The home screen widget shows old data and never refreshes.",
        "Your webhook stopped sending events to our server.",
        "Dark mode makes half of the text unreadable in the app.",
        "Voice commands through {integration} stopped working {date}.",
        "I keep getting {error} when I open {feature}.",
        "The {product} status light blinks red and nothing responds.",
    ],
    "account_access": [
        "I can't log in, it says my password is incorrect but I just reset it.",
        "The password reset email never arrives, I already checked spam.",
        "I lost my phone and can't get the two-factor code anymore.",
        "My account got locked after too many login attempts.",
        "How do I change the login email from {email} to my new address?",
        "I think someone else got into my account, I got a sign-in alert from {city}.",
        "The verification code says expired every single time I enter it.",
        "I signed up with Google and now I can't log in with email and password.",
        "I'm the admin but I can't open the team settings anymore.",
        "I have two logins, please merge {email} into my main one.",
        "The login page just reloads after I enter my credentials.",
        "I never got the activation link for my new account.",
        "My coworker left the company and we need access to her account.",
        "It keeps saying 'user not found' for {email}.",
        "How do I turn off two-factor authentication? I keep getting locked out.",
        "I can't remember which email I used to sign up.",
        "SSO login fails with an 'invalid SAML response' message.",
        "I got signed out on all devices and now the magic link doesn't work.",
        "My username was changed and I didn't do it.",
        "Can you unlock my account? I need to get in today.",
        "The invite link my admin sent says it's invalid or expired.",
        "My security question answers aren't accepted anymore.",
        "I changed my phone number and now I don't get the SMS code.",
        "my account says it has been deactivated but i never asked for that",
        "Every time I log in on my {device} it asks me to verify my identity again.",
        "Face ID sign-in stopped working and my password isn't accepted either.",
        "I need to transfer ownership of our workspace to a colleague before I leave.",
        "The reset password link takes me to a 404 page.",
        "I'm stuck in a loop between the login screen and the 2FA screen.",
        "My email {email} is already registered but I never created an account.",
    ],
    "shipping": [
        "Where is my order {order}? It's been {days} days.",
        "Tracking for {order} hasn't updated since {day}.",
        "{carrier} says delivered but there's nothing at my door.",
        "The box arrived damaged and the {product} inside is cracked.",
        "I received the wrong item, I ordered a {product} but got a {product2}.",
        "Can I change the delivery address for {order}? I'm moving to {city}.",
        "Do you ship to {country} and how long does it usually take?",
        "I paid for express shipping but it's coming by standard ground.",
        "My package is stuck in customs, what do I need to do?",
        "Only one of the {n} items in my order showed up.",
        "The tracking number you sent doesn't work on the {carrier} site.",
        "When will the {product} be back in stock and ship out?",
        "Can I pick up my order at a depot instead of having it delivered?",
        "Delivery was scheduled for {day} and it still hasn't come.",
        "The driver left my package with a neighbor I don't even know.",
        "Is it possible to ship to a PO box?",
        "My order has said 'processing' for a week, has it even shipped?",
        "How much is shipping to {city}? Checkout didn't show it.",
        "The package was returned to sender, can you reship it?",
        "Can you combine my two orders into one shipment?",
        "I need this delivered before {day}, is overnight shipping available?",
        "The box was left out in the rain and everything inside is soaked.",
        "The power adapter was missing from my {product} delivery.",
        "You shipped order {order} to my old address even though I updated it.",
        "My package has said out for delivery for 3 days straight now.",
        "How do I send an item back, do you provide a prepaid return label?",
        "Shipping to {country} seems very slow, any update on {order}?",
        "{carrier} lost my package according to their website.",
        "The {product} I ordered {date} still hasn't left your warehouse.",
        "My parcel was delivered to {city} instead of my address.",
    ],
    "cancellation": [
        "Please cancel my {plan} effective immediately.",
        "How do I cancel my subscription? I can't find the option anywhere.",
        "I want to cancel order {order} before it ships.",
        "I'd like to close my account and delete all my data.",
        "Please don't renew my subscription when it ends on {ends_on}.",
        "We're moving to a different provider, please cancel our team plan.",
        "Can I pause my membership for a few months instead of cancelling?",
        "I cancelled last month but the plan still shows as active.",
        "Please stop my subscription, I'm not using it anymore.",
        "Can I downgrade to the free tier instead of cancelling completely?",
        "I'd like to end my trial now, I don't want to continue.",
        "Turn off the auto-renewal on my account please.",
        "I ordered the {product} by mistake, please cancel it.",
        "What happens to my saved recordings if I cancel the {plan}?",
        "I want to terminate our contract early, what's the process?",
        "Please cancel all my recurring payments and remove my card.",
        "Unsubscribe me from the {plan}, it's too expensive for me.",
        "Is there a cancellation fee if I quit before the year is up?",
        "Cancel my order {order} please, I found it cheaper elsewhere.",
        "Delete my account, I no longer want to use your service.",
        "I'm going to cancel unless this gets sorted out this week.",
        "Please cancel the {product} pre-order, I don't need it anymore.",
        "how do i stop the membership from renewing",
        "We are shutting down our business so we need to cancel all seats.",
        "I tried to cancel online but the cancel button doesn't do anything.",
        "Confirm that my subscription is cancelled and won't renew.",
        "Can you cancel the {n} extra seats we added last week?",
        "I'm moving abroad, so I need to cancel my {plan} and the monitoring service.",
        "I want out of the {plan}, how do I end it?",
        "Please close the account for {email}, I'm done with the service.",
    ],
}

# Extra context sentences. Several deliberately mention another intent's
# vocabulary so the classes are not trivially keyword-separable.
INTENT_EXTRAS = {
    "billing": [
        "I've attached a screenshot of my bank statement.",
        "This is the second time this has happened.",
        "The order number is {order} if that helps.",
        "I'm logged into my account right now and can see it.",
        "I don't want to cancel, I just want this fixed.",
        "The package arrived fine, this is only about the payment.",
        "The charge came through the app store.",
        "I need this sorted before the end of the month.",
        "My account email is {email}.",
    ],
    "technical_issue": [
        "I already tried restarting it and reinstalling the app.",
        "I'm paying for the {plan} so I'd expect this to work.",
        "I'm on app version {version}.",
        "Logging out and back in didn't help.",
        "It worked fine until {day}.",
        "The device only arrived {date} so it's brand new.",
        "If this can't be fixed I might have to cancel.",
        "Screenshots attached.",
        "I'm on a {device}.",
    ],
    "account_access": [
        "I have an order on the way and need to check the tracking.",
        "I need to get in to update my payment card before it renews.",
        "My account email is {email}.",
        "I've tried three different browsers.",
        "I'm paying for the {plan} and can't even use it.",
        "It's urgent, all my cameras are linked to this account.",
        "I'm on a {device} if that matters.",
        "I don't want to lose my settings.",
    ],
    "shipping": [
        "I paid extra for express delivery.",
        "I checked with my neighbors and the front desk.",
        "It's a gift, so I really need it on time.",
        "If it doesn't show up soon I'd like a refund.",
        "Otherwise I'll have to cancel the order.",
        "The app also shows it as shipped.",
        "My account shows the correct address.",
        "The order number is {order}.",
        "I was already charged {amount} for it.",
    ],
    "cancellation": [
        "The app keeps crashing anyway.",
        "It's just too expensive for us right now.",
        "Please confirm by email once it's done.",
        "Please make sure I'm not charged again.",
        "I've already sent the hardware back.",
        "I'm happy with the service, I just don't need it anymore.",
        "I can't log into my account to do it myself.",
        "My account email is {email}.",
        "Nothing personal, we just don't use it.",
    ],
}

# Borderline messages that genuinely sit between intents (as in real support
# queues). The label is drawn from the weights, so a model cannot get all of
# them right; they keep the task from being trivially separable.
BORDERLINE = [
    ("I cancelled my {plan} {date} but you still charged me {amount}.",
     {"billing": 0.55, "cancellation": 0.45}),
    ("I can't log in to cancel my subscription.",
     {"account_access": 0.5, "cancellation": 0.5}),
    ("My order {order} never arrived and I want my money back.",
     {"shipping": 0.5, "billing": 0.5}),
    ("The app crashes every time I try to update my payment card.",
     {"technical_issue": 0.55, "billing": 0.45}),
    ("Since the last app update I can't log in at all.",
     {"account_access": 0.5, "technical_issue": 0.5}),
    ("Please cancel order {order}, it's been {days} days and it still hasn't shipped.",
     {"cancellation": 0.5, "shipping": 0.5}),
    ("I returned the {product} two weeks ago and still haven't seen the refund.",
     {"billing": 0.5, "shipping": 0.5}),
    ("I was charged for a {product} that never shipped.",
     {"billing": 0.5, "shipping": 0.5}),
    ("The {product} is defective, I want to cancel and send it back.",
     {"cancellation": 0.4, "shipping": 0.3, "technical_issue": 0.3}),
    ("I can't get into my account to download my invoices.",
     {"account_access": 0.55, "billing": 0.45}),
    ("My subscription renewed even though I turned off auto-renew.",
     {"billing": 0.5, "cancellation": 0.5}),
    ("The checkout page gives {error} when I try to pay.",
     {"technical_issue": 0.5, "billing": 0.5}),
    ("I keep getting logged out of the app every few minutes.",
     {"account_access": 0.5, "technical_issue": 0.5}),
    ("The order tracking page in the app just shows {error}.",
     {"technical_issue": 0.4, "shipping": 0.6}),
    ("I want to cancel because the {product} keeps going offline.",
     {"cancellation": 0.5, "technical_issue": 0.5}),
    ("Someone used my account to place order {order} that I didn't make.",
     {"account_access": 0.5, "billing": 0.3, "shipping": 0.2}),
    ("How do I delete my account and get refunded for the unused months?",
     {"cancellation": 0.5, "billing": 0.5}),
    ("My two-factor code goes to an old phone number so I can't confirm the payment.",
     {"account_access": 0.5, "billing": 0.5}),
    ("Delivery notifications in the app don't work, so I missed the courier twice.",
     {"technical_issue": 0.5, "shipping": 0.5}),
    ("I downgraded my plan but I'm still billed for the {plan}.",
     {"billing": 0.55, "cancellation": 0.45}),
    ("Your app won't let me change the delivery address for {order}.",
     {"shipping": 0.5, "technical_issue": 0.5}),
    ("Please close my old account, I made a new one because I couldn't log in.",
     {"cancellation": 0.5, "account_access": 0.5}),
    ("Order {order} was cancelled by your system and I don't know why.",
     {"shipping": 0.4, "cancellation": 0.4, "billing": 0.2}),
]
P_BORDERLINE = 0.15   # share of each intent's rows built from a borderline core
P_SECOND_ISSUE = 0.10  # share that also mention a second issue ("Also, ...")

INTENT_COUNTS = {  # roughly balanced, deliberately not perfectly
    "billing": 131,
    "technical_issue": 143,
    "account_access": 117,
    "shipping": 122,
    "cancellation": 97,
}


def make_ticket(intent: str, rng: random.Random) -> str:
    parts = []
    if rng.random() < 0.5:
        parts.append(fill(rng.choice(GREETINGS), rng))
    if rng.random() < 0.18:
        parts.append(fill(rng.choice(OPENERS), rng))
    if rng.random() < P_BORDERLINE:
        cands = [(t, w[intent]) for t, w in BORDERLINE if intent in w]
        core = fill(rng.choices([t for t, _ in cands], weights=[w for _, w in cands])[0], rng)
    else:
        core = fill(rng.choice(INTENT_CORES[intent]), rng)
    if rng.random() < P_SECOND_ISSUE:
        other = rng.choice([i for i in INTENT_CORES if i != intent])
        core += " " + connect(fill(rng.choice(INTENT_CORES[other]), rng), rng)
    extra = fill(rng.choice(INTENT_EXTRAS[intent]), rng) if rng.random() < 0.4 else None
    if extra and rng.random() < 0.3:
        parts += [extra, core]
    else:
        parts.append(core)
        if extra:
            parts.append(extra)
    if rng.random() < 0.5:
        parts.append(fill(rng.choice(CLOSINGS), rng))
    text = " ".join(parts)
    return add_noise(text, rng)


def gen_support_tickets() -> list[tuple[str, str]]:
    rng = random.Random(SEED)
    rows, seen = [], set()
    for intent, count in INTENT_COUNTS.items():
        made = 0
        while made < count:
            msg = make_ticket(intent, rng)
            if not 6 <= words(msg) <= 45 or msg.lower() in seen:
                continue
            seen.add(msg.lower())
            rows.append((msg, intent))
            made += 1
    rng.shuffle(rows)
    return rows


# ---------------------------------------------------------------------------
# 2. support_tickets_multilabel.csv
# ---------------------------------------------------------------------------

ML_SENTENCES = {
    "billing": [
        s for s in INTENT_CORES["billing"]
        if "refund" not in s and "money back" not in s
    ],
    "refund": [
        "I'd like a refund please.",
        "Please refund order {order}.",
        "Can I get my money back?",
        "I returned the {product} {days} days ago and still haven't been refunded.",
        "I want a full refund of {amount}.",
        "Please send the money back to my {card}.",
        "How long does a refund usually take to show up?",
        "You promised a refund {date} and nothing has arrived.",
        "I'd prefer a refund over store credit.",
        "Refund the difference, please.",
        "Can you refund me for the months I couldn't use it?",
        "I want my {amount} back.",
        "The refund you issued was only partial.",
        "Please process the refund to my original payment method.",
    ],
    "technical_issue": INTENT_CORES["technical_issue"],
    "account_access": INTENT_CORES["account_access"],
    "shipping": INTENT_CORES["shipping"],
    "urgent": [
        "This is urgent.",
        "Please help ASAP!",
        "I need this resolved today.",
        "URGENT, please respond.",
        "This is the third time I'm writing, please hurry.",
        "My business depends on this, please treat it as a priority.",
        "Please escalate this immediately.",
        "I need an answer within the hour.",
        "This is an emergency, my home is unprotected right now.",
        "Time sensitive!",
        "Please call me back right away.",
    ],
}
CONNECTORS = ["Also, ", "And ", "On top of that, ", "Plus ", "Another thing: ", "Separately, "]
_LOWERABLE = {"My", "The", "Can", "How", "Please", "When", "Where", "Why", "Is", "Do",
              "Your", "It", "Only", "Every", "There's", "You", "Could", "We", "Our"}


def connect(sentence: str, rng: random.Random) -> str:
    """Prefix a follow-up sentence with a connector ("Also, my ...")."""
    first, _, rest = sentence.partition(" ")
    if first in _LOWERABLE:
        return rng.choice(CONNECTORS) + first.lower() + " " + rest
    if first in {"I", "I'm", "I've", "I'd"}:
        return rng.choice(CONNECTORS) + sentence
    return sentence


ML_BASE_TAGS = ["billing", "refund", "technical_issue", "account_access", "shipping"]
ML_BASE_WEIGHTS = [24, 18, 24, 18, 22]
ML_TAG_ORDER = ["billing", "refund", "technical_issue", "account_access",
                "shipping", "urgent"]


def gen_multilabel(n_rows: int = 400) -> list[tuple[str, str]]:
    rng = random.Random(SEED)
    rows, seen = [], set()
    while len(rows) < n_rows:
        k = rng.choices([1, 2, 3], weights=[52, 38, 10])[0]
        tags: list[str] = []
        while len(tags) < k:
            t = rng.choices(ML_BASE_TAGS, weights=ML_BASE_WEIGHTS)[0]
            if t not in tags:
                tags.append(t)
        if len(tags) < 3 and rng.random() < 0.25:
            tags.append("urgent")
        sents = [fill(rng.choice(ML_SENTENCES[t]), rng) for t in tags]
        # urgent goes first or last; the rest keep a random order
        urgent = sents.pop() if tags[-1] == "urgent" else None
        rng.shuffle(sents)
        for i in range(1, len(sents)):
            if rng.random() < 0.4:
                sents[i] = connect(sents[i], rng)
        if urgent:
            if rng.random() < 0.4:
                sents.insert(0, urgent)
            else:
                sents.append(urgent)
        parts = []
        if rng.random() < 0.45:
            parts.append(fill(rng.choice(GREETINGS), rng))
        parts += sents
        if rng.random() < 0.4:
            parts.append(fill(rng.choice(CLOSINGS), rng))
        msg = add_noise(" ".join(parts), rng, lower=0.08, typos=0.1)
        if msg.lower() in seen or words(msg) > 70:
            continue
        seen.add(msg.lower())
        label = "|".join(t for t in ML_TAG_ORDER if t in tags)
        rows.append((msg, label))
    return rows


# ---------------------------------------------------------------------------
# 3. review_ratings.csv  (regression)
# ---------------------------------------------------------------------------

REVIEW_PRODUCTS = [
    "headphones", "blender", "desk lamp", "backpack", "coffee grinder",
    "phone case", "yoga mat", "air fryer", "keyboard", "water bottle",
    "robot vacuum", "rain jacket", "electric toothbrush", "office chair",
    "bluetooth speaker", "running shoes", "smart watch", "frying pan",
]
# verdicts by sentiment level 1 (terrible) .. 5 (excellent)
REVIEW_VERDICTS = {
    1: ["Complete waste of money.", "Absolutely terrible {p}.",
        "Worst purchase I've made this year.", "Do not buy this {p}.",
        "Broke within a week, total junk.", "I regret buying this {p}.",
        "Awful. Just awful.", "Zero stars if I could."],
    2: ["Pretty disappointed with this {p}.", "Not what I expected.",
        "Below average {p}, I wouldn't buy it again.",
        "It works, barely.", "Meh, I expected a lot more for the price.",
        "Quite a letdown overall.", "Not great, not the worst either."],
    3: ["It's okay.", "Average {p}, nothing special.",
        "Does the job, but that's about it.", "Mixed feelings about this {p}.",
        "Decent but has some flaws.", "Fine for the price I guess.",
        "Middle of the road."],
    4: ["Really good {p}.", "Happy with this purchase.",
        "Solid {p}, would recommend.", "Pleasantly surprised.",
        "Very nice, just a couple of small issues.", "Good value overall.",
        "Works well for what I need."],
    5: ["Absolutely love this {p}!", "Best {p} I've ever owned.",
        "Perfect, exactly what I wanted.", "Five stars, no complaints at all.",
        "Amazing quality, worth every penny.", "Exceeded my expectations!",
        "Incredible {p}, buy it."],
}
REVIEW_ASPECTS = {  # (positive, negative) phrasings
    "quality": (["The build quality is excellent.", "Feels sturdy and well made.",
                 "Materials feel premium."],
                ["The build quality is cheap and flimsy.", "Feels like it will fall apart.",
                 "The plastic cracked after a few days."]),
    "price": (["Great price for what you get.", "Cheaper than the competition and just as good.",
               "Worth the money."],
              ["Way overpriced.", "Not worth the money at all.",
               "You can find better for half the price."]),
    "delivery": (["Arrived two days early.", "Shipping was fast and the packaging was neat.",
                  "Came well packaged."],
                 ["Took three weeks to arrive.", "Box was crushed when it arrived.",
                  "Arrived with parts missing."]),
    "ease": (["Super easy to set up.", "Very intuitive to use.",
              "Setup took five minutes."],
             ["The instructions are useless.", "Setup was a nightmare.",
              "Confusing to use even after a week."]),
    "performance": (["It works perfectly every day.", "Performance is better than expected.",
                     "Does exactly what it says."],
                    ["It stopped working after a month.", "Performance is really poor.",
                     "It barely does what it promises."]),
    "design": (["Looks great on my desk.", "Love the color and the design.",
                "Sleek and compact design."],
               ["It looks much cheaper than in the photos.", "The design is clunky.",
                "Way bigger and uglier than expected."]),
    "support": (["Customer service was quick and helpful.",
                 "Support replaced a faulty part without any fuss."],
                ["Customer service never answered my emails.",
                 "Support was rude and unhelpful."]),
}
REVIEW_NEUTRAL = ["I've been using it for {w} weeks now.", "Bought it as a gift for my {rel}.",
                  "Using it daily.", "This is my second one.",
                  "Got it on sale.", "Replaced my old one with this."]
REVIEW_CLOSERS = {
    1: ["Returning it.", "Avoid.", "Save your money.", "Never again."],
    2: ["Probably returning it.", "Would not recommend.", "Look elsewhere."],
    3: ["It's fine if you're on a budget.", "Might work for some people.",
        "Wouldn't buy again but it's usable."],
    4: ["Would buy again.", "Recommended.", "I'd give it to a friend."],
    5: ["Highly recommend!", "Buying another one for my {rel}.",
        "Can't recommend it enough."],
}


def gen_reviews(n_rows: int = 400) -> list[tuple[str, str]]:
    rng = random.Random(SEED)
    rows, seen = [], set()
    while len(rows) < n_rows:
        # latent score, skewed positive like real review sites
        s = rng.choice([rng.uniform(1.0, 5.0), rng.triangular(1.0, 5.0, 4.4)])
        level = min(5, max(1, round(s)))
        p = rng.choice(REVIEW_PRODUCTS)
        slot = {"p": p, "w": str(rng.randint(2, 12)),
                "rel": rng.choice(["dad", "sister", "wife", "husband", "mom", "roommate"])}
        parts = []
        if rng.random() < 0.3:
            parts.append(rng.choice(REVIEW_NEUTRAL).format(**slot))
        parts.append(rng.choice(REVIEW_VERDICTS[level]).format(**slot))
        p_pos = 1.0 / (1.0 + math.exp(-2.2 * (s - 3.0)))
        for aspect in rng.sample(sorted(REVIEW_ASPECTS), rng.randint(1, 3)):
            pos, neg = REVIEW_ASPECTS[aspect]
            good = rng.random() < p_pos
            parts.append(rng.choice(pos if good else neg))
        if rng.random() < 0.6:
            parts.append(rng.choice(REVIEW_CLOSERS[level]).format(**slot))
        text = add_noise(" ".join(parts), rng, lower=0.06, typos=0.08, bang=0.1, sloppy=0.08)
        if text.lower() in seen:
            continue
        seen.add(text.lower())
        rating = min(5.0, max(1.0, s + rng.gauss(0, 0.25)))
        rows.append((text, f"{rating:.1f}"))
    return rows


# ---------------------------------------------------------------------------
# 4. faq_pairs.csv  (text-pair classification)
# ---------------------------------------------------------------------------

FAQ_TOPICS = {
    # topic: (group, [question paraphrases], [help-center answers])
    "reset_password": ("account", [
        "How do I reset my password?",
        "I forgot my password, what do I do?",
        "can't remember my password, how can I change it",
        "Where is the reset password option?",
        "Is there a way to recover my password on my {device}?",
        "Password reset help please",
    ], [
        "Click 'Forgot password' on the sign-in page and enter your account email. We'll send a reset link that is valid for 30 minutes.",
        "You can reset your password from the login screen: tap 'Forgot password', then follow the link we email you.",
    ]),
    "change_email": ("account", [
        "How can I change the email address on my account?",
        "I want to use a different email for logging in.",
        "Can I update my login email to {email}?",
        "my old email doesn't work anymore, how do I switch it",
        "Where do I edit my contact email?",
    ], [
        "Go to Settings > Profile > Email, enter the new address and confirm it via the verification link we send to it.",
        "To change your login email, open Profile settings, choose 'Change email' and verify the new address.",
    ]),
    "two_factor": ("account", [
        "How do I turn on two-factor authentication?",
        "Can I set up 2FA with an authenticator app?",
        "I got a new phone, how do I move my two-factor codes?",
        "How do I disable 2FA on my account?",
        "Is SMS verification available for login?",
    ], [
        "Two-factor authentication is under Settings > Security. You can use an authenticator app or SMS codes, and download backup codes there.",
        "Open Security settings to enable, disable or move 2FA. Save your backup codes in case you lose your phone.",
    ]),
    "delete_account": ("account", [
        "How do I delete my account permanently?",
        "I want all my data erased, how do I do that?",
        "Can you close my account and remove my personal data?",
        "what happens to my data if I delete my profile",
    ], [
        "You can delete your account under Settings > Privacy > Delete account. All personal data is erased within 30 days.",
    ]),
    "cancel_subscription": ("billing", [
        "How do I cancel my subscription?",
        "I want to stop my {plan} from renewing.",
        "Where is the cancel button for my membership?",
        "Can I cancel the {plan} anytime?",
        "how to end my subscription",
        "Will I be charged if I cancel mid-month?",
    ], [
        "Go to Billing > Subscription and click 'Cancel plan'. You keep access until the end of the current billing period and won't be charged again.",
        "Subscriptions can be cancelled anytime from the Billing page; the plan stays active until the period you paid for ends.",
    ]),
    "refund": ("billing", [
        "How do I request a refund?",
        "Can I get my money back for order {order}?",
        "What is your refund policy?",
        "How long do refunds take to arrive?",
        "I was charged {amount} by mistake, can it be refunded?",
    ], [
        "Refunds can be requested within 30 days of purchase from Orders > Request refund. Approved refunds reach your original payment method in 5-10 business days.",
        "We refund any purchase within 30 days. Open the order, choose 'Request refund', and the money is returned to the card you paid with.",
    ]),
    "payment_method": ("billing", [
        "How do I update my credit card?",
        "My card expired, where do I add a new one?",
        "Can I pay with PayPal instead of a card?",
        "How do I change the payment method for my {plan}?",
        "which payment methods do you accept",
    ], [
        "Update your payment method under Billing > Payment methods. We accept Visa, Mastercard, Amex and PayPal.",
        "To change your card, open the Billing page, click 'Payment methods' and add the new card before removing the old one.",
    ]),
    "invoices": ("billing", [
        "Where can I download my invoices?",
        "I need a receipt for order {order}.",
        "Can you add our VAT number to invoices?",
        "How do I get a copy of last month's invoice?",
        "where are my receipts",
    ], [
        "All invoices are available as PDFs under Billing > Invoices. You can add a company name and VAT ID there and it appears on future invoices.",
    ]),
    "change_plan": ("billing", [
        "How do I upgrade to the {plan}?",
        "Can I switch from monthly to annual billing?",
        "How do I downgrade my plan?",
        "What's the difference between the Pro plan and the Family plan?",
        "is upgrading prorated",
    ], [
        "You can upgrade or downgrade anytime under Billing > Change plan. Upgrades are prorated; downgrades take effect at the next renewal.",
    ]),
    "discounts": ("billing", [
        "Do you offer student discounts?",
        "Is there a nonprofit discount?",
        "Where do I enter a promo code?",
        "My promo code {promo} isn't working.",
    ], [
        "Promo codes are entered at checkout in the 'Discount code' field. Verified students and nonprofits get 30% off through our partner program.",
    ]),
    "track_order": ("shipping", [
        "How can I track my order?",
        "Where is my package?",
        "Where do I find the tracking number for order {order}?",
        "My order hasn't arrived yet, how do I check its status?",
        "has order {order} shipped yet",
    ], [
        "Once your order ships we email a tracking link. You can also see live tracking under Orders in the app or on the website.",
        "Track any order from Account > Orders. The tracking number and carrier appear as soon as the package leaves our warehouse.",
    ]),
    "returns": ("shipping", [
        "How do I return an item?",
        "Can I send back the {product} I bought?",
        "Do you provide a return label?",
        "What's the return window?",
        "I want to return my {product}, it's the wrong size.",
    ], [
        "Items can be returned within 30 days. Start a return from Orders > Return item and we'll email you a prepaid shipping label.",
    ]),
    "shipping_address": ("shipping", [
        "Can I change the delivery address after ordering?",
        "I entered the wrong shipping address for {order}.",
        "How do I update my shipping address?",
        "I'm moving to {city}, can you redirect my package?",
    ], [
        "You can edit the shipping address under Orders until the order ships. After that, contact the carrier to redirect the package.",
    ]),
    "international": ("shipping", [
        "Do you ship to {country}?",
        "How long does international delivery take?",
        "Will I pay customs fees on my order?",
        "What countries do you deliver to?",
    ], [
        "We ship to over 40 countries. International delivery takes 7-14 business days and any customs duties are paid by the recipient.",
    ]),
    "device_offline": ("technical", [
        "Why does my {product} show as offline?",
        "My {product} won't connect to wifi.",
        "The app says my device is unreachable, what should I do?",
        "how do i reconnect my {product} to the internet",
        "My {product} keeps disconnecting.",
    ], [
        "If a device shows offline, check that your router uses 2.4 GHz, move the device closer, then hold the button for 10 seconds to re-enter pairing mode.",
        "Offline devices usually need to be re-paired: power-cycle the device, open the app, and choose Add device > Reconnect.",
    ]),
    "firmware": ("technical", [
        "How do I update the firmware on my {product}?",
        "The firmware update is stuck, what do I do?",
        "Is my device running the latest software version?",
        "Do firmware updates install automatically?",
    ], [
        "Firmware updates install automatically overnight. To update manually, open the device in the app and tap Settings > Firmware > Check for updates.",
    ]),
    "voice_assistant": ("technical", [
        "How do I connect my devices to {integration}?",
        "Does the {product} work with {integration}?",
        "Voice commands aren't working, how do I relink the skill?",
        "Can I control my lights with my voice assistant?",
    ], [
        "Enable our skill in the Alexa, Google Home or HomeKit app and sign in with your account. Your devices are discovered automatically within a minute.",
    ]),
    "data_export": ("technical", [
        "How do I export my data?",
        "Can I download my camera recordings?",
        "Is there a CSV export for energy usage?",
        "how do I get a copy of all my activity history",
    ], [
        "Use Settings > Data > Export to download your history as CSV. Camera clips can be downloaded individually from the timeline.",
    ]),
    "team_members": ("account", [
        "How do I invite someone to my home?",
        "Can my partner control the devices from their phone?",
        "How do I add a team member to our workspace?",
        "how do I remove a user from my account",
    ], [
        "Invite people from Settings > Members > Invite. Each member signs in with their own account, and admins can remove them at any time.",
    ]),
    "warranty": ("shipping", [
        "What does the warranty cover?",
        "My {product} broke after 6 months, is it under warranty?",
        "How long is the warranty on the {product}?",
        "How do I make a warranty claim?",
    ], [
        "All hardware has a 2-year limited warranty covering manufacturing defects. Start a claim from Support > Warranty with your order number.",
    ]),
}


def gen_faq(n_rows: int = 400) -> list[tuple[str, str, str]]:
    rng = random.Random(SEED)
    topics = list(FAQ_TOPICS)
    rows, seen, n_yes = [], set(), 0
    while len(rows) < n_rows:
        topic = rng.choice(topics)
        group, questions, answers = FAQ_TOPICS[topic]
        q = fill(rng.choice(questions), rng)
        if rng.random() < 0.35:
            q = fill(rng.choice(["Hi, ", "Hello! ", "Quick question: ", "Hey, "]), rng) + q[0].lower() + q[1:]
        q = add_noise(q, rng, lower=0.1, typos=0.1, bang=0.0, sloppy=0.1)
        relevant = rng.random() < 0.5
        if n_yes >= n_rows // 2:
            relevant = False
        elif len(rows) - n_yes >= n_rows - n_rows // 2:
            relevant = True
        if relevant:
            a_topic = topic
        else:
            same = [t for t in topics if t != topic and FAQ_TOPICS[t][0] == group]
            other = [t for t in topics if t != topic]
            a_topic = rng.choice(same if (same and rng.random() < 0.5) else other)
        a = fill(rng.choice(FAQ_TOPICS[a_topic][2]), rng)
        key = (q.lower(), a)
        if key in seen:
            continue
        seen.add(key)
        rows.append((q, a, "yes" if relevant else "no"))
        n_yes += relevant
    return rows


# ---------------------------------------------------------------------------
# 5. zh_reviews.csv  (Chinese sentiment; shows an English-only model fails)
# ---------------------------------------------------------------------------

ZH_PRODUCTS = ["耳机", "充电宝", "保温杯", "台灯", "手机壳", "蓝牙音箱", "数据线",
               "键盘", "鼠标", "电热水壶", "毛衣", "运动鞋", "双肩包", "床单", "电动牙刷"]
ZH_OPENERS = ["收到了，", "第二次购买了，", "给家人买的，", "用了一个星期，", "双十一买的，",
              "", "", "", "刚拆开，", "朋友推荐的，"]
ZH_POS = [
    "质量很好", "做工很精细", "性价比很高", "颜色和图片上一模一样", "用起来很顺手",
    "{p}比我想象的好", "手感不错", "款式好看，家人很喜欢", "用了几天没发现什么问题",
    "这个价格买到很值", "包装很用心", "客服态度很好，回复很快", "{p}很结实",
    "大小刚刚好", "效果非常满意", "和描述的一样",
]
ZH_NEG = [
    "质量太差了", "做工很粗糙", "用了两天就坏了", "和图片严重不符", "{p}有一股很大的味道",
    "客服爱答不理", "完全不值这个价", "{p}有明显的划痕", "尺寸不对", "声音很大，很吵",
    "收到就是坏的", "颜色和图片差太多", "用起来很不方便", "说明书看不懂，也没人解答",
    "才用一周就出问题了", "感觉是二手的",
]
ZH_LOGI_POS = ["物流很快", "快递第二天就到了", "发货速度快", "快递小哥服务很好"]
ZH_LOGI_NEG = ["物流太慢了", "快递拖了一个多星期", "包装破了", "发错货了"]
ZH_MINOR_NEG = ["就是包装有点简陋", "就是物流稍微慢了点", "唯一的缺点是有点重", "美中不足的是颜色偏深"]
ZH_MINOR_POS = ["虽然物流挺快的", "虽然价格便宜", "虽然外观还行", "虽然包装挺好"]
ZH_CLOSE_POS = ["会回购的", "推荐购买", "五星好评", "非常满意", "下次还来", "值得入手", "好评"]
ZH_CLOSE_NEG = ["不会再买了", "大家别买", "差评", "已经申请退货了", "非常失望", "后悔买了", "不推荐"]
ZH_END_POS = ["！", "。", "！！", "～", "。"]
ZH_END_NEG = ["！", "。", "！！", "。", "..."]


def gen_zh(n_pos: int = 104, n_neg: int = 96) -> list[tuple[str, str]]:
    rng = random.Random(SEED)
    rows, seen = [], set()

    def one(positive: bool) -> str:
        p = rng.choice(ZH_PRODUCTS)
        parts = [rng.choice(ZH_OPENERS)]
        main = ZH_POS if positive else ZH_NEG
        clauses = [c.format(p=p) for c in rng.sample(main, rng.randint(1, 3))]
        if positive:
            if rng.random() < 0.35:
                clauses.append(rng.choice(ZH_LOGI_POS))
            if rng.random() < 0.25:
                clauses.append(rng.choice(ZH_MINOR_NEG))
        else:
            if rng.random() < 0.35:
                clauses.append(rng.choice(ZH_LOGI_NEG))
            if rng.random() < 0.25:
                clauses.insert(0, rng.choice(ZH_MINOR_POS) + "，但是")
        body = ""
        for c in clauses:
            body += c if body.endswith("但是") else (("，" if body else "") + c)
        parts.append(body)
        if rng.random() < 0.7:
            close = rng.choice(ZH_CLOSE_POS if positive else ZH_CLOSE_NEG)
            parts.append("，" + close)
        parts.append(rng.choice(ZH_END_POS if positive else ZH_END_NEG))
        return "".join(parts)

    for positive, n in ((True, n_pos), (False, n_neg)):
        made = 0
        while made < n:
            text = one(positive)
            if text in seen:
                continue
            seen.add(text)
            rows.append((text, "正面" if positive else "负面"))
            made += 1
    rng.shuffle(rows)
    return rows


# ---------------------------------------------------------------------------

DATASETS = [
    ("support_tickets.csv", ["message", "intent"], gen_support_tickets),
    ("support_tickets_multilabel.csv", ["message", "tags"], gen_multilabel),
    ("review_ratings.csv", ["review", "rating"], gen_reviews),
    ("faq_pairs.csv", ["question", "answer", "relevant"], gen_faq),
    ("zh_reviews.csv", ["评论", "情感"], gen_zh),
]


def report(name: str, header: list[str], rows: list[tuple], out: Path) -> None:
    size = (out / name).stat().st_size
    print(f"\n== {name}: {len(rows)} rows, {size / 1024:.1f} KB, columns {header}")
    label_col = len(header) - 1
    if name == "review_ratings.csv":
        vals = [float(r[label_col]) for r in rows]
        buckets = Counter(min(3, int(v) - 1) for v in vals)
        print(f"   rating mean {sum(vals) / len(vals):.2f}, {len(set(vals))} distinct values; "
              + ", ".join(f"[{b + 1},{b + 2}{']' if b == 3 else ')'}: {buckets[b]}" for b in range(4)))
    elif name == "support_tickets_multilabel.csv":
        tags = Counter(t for r in rows for t in r[label_col].split("|"))
        ks = Counter(len(r[label_col].split("|")) for r in rows)
        print("   tag counts:", dict(sorted(tags.items())), "| tags per row:", dict(sorted(ks.items())))
    else:
        print("   label counts:", dict(sorted(Counter(r[label_col] for r in rows).items())))
    keys = [tuple(c.lower() for c in r[:label_col]) for r in rows]
    print(f"   exact duplicate inputs: {len(keys) - len(set(keys))}")
    if name.startswith("zh_"):
        wc, unit = [len(r[0]) for r in rows], "characters"
    else:
        wc, unit = [len(r[0].split()) for r in rows], "words"
    print(f"   {unit} per text: min {min(wc)}, max {max(wc)}, mean {sum(wc) / len(wc):.1f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: examples/)")
    ap.add_argument("--check", action="store_true",
                    help="print counts and 10 random rows of each file")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, header, gen in DATASETS:
        rows = gen()
        write_csv(args.out / name, header, rows)
        report(name, header, rows, args.out)
        if args.check:
            spot = random.Random(0)
            for r in spot.sample(rows, 10):
                print("   ", " || ".join(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
