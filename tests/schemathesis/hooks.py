"""Value formats of the registry's OpenAPI document that a pattern cannot say (check digits, valid
periods), for schemathesis (loaded through SCHEMATHESIS_HOOKS by the contract test,
crates/frmo-web/tests/it/api_contract.rs). Each strategy makes values the server must accept; the
same rules are in crates/frmo-domain/src/ident/checksum.rs and crates/frmo-registry/src/reports/period.rs."""

import datetime

import schemathesis
from hypothesis import strategies as st

digits = lambda n: st.text("0123456789", min_size=n, max_size=n)


def inn_check(ds, weights):
    return sum(int(d) * w for d, w in zip(ds, weights)) % 11 % 10


def inn10(first9):
    return first9 + str(inn_check(first9, [2, 4, 10, 3, 5, 9, 4, 6, 8]))


def inn12(first10):
    eleventh = first10 + str(inn_check(first10, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]))
    return eleventh + str(inn_check(eleventh, [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]))


def ogrn(body):
    return body + str(int(body) % (11 if len(body) == 12 else 13) % 10)


def snils_check(body):
    total = sum(int(d) * (9 - i) for i, d in enumerate(body))
    check = total % 101 if total > 101 else total
    return 0 if check >= 100 else check


def snils(body, spaced, separators):
    check = f"{snils_check(body):02d}" if int(body) >= 1_001_999 else "00"
    if not spaced:
        return body + check
    a, b, c = separators
    return f"{body[:3]}{a}{body[3:6]}{b}{body[6:]}{c}{check}"


years = st.integers(1990, 2100)
dates = st.dates(datetime.date(1990, 1, 1), datetime.date(2100, 12, 31))


def date_range(pair):
    start, end = sorted(pair)
    return f"{start.isoformat()}..{end.isoformat()}"


schemathesis.openapi.format("inn", digits(9).map(inn10) | digits(10).map(inn12))
# ОГРН of a legal entity starts with 1 or 5, an ОГРНИП with 3 (crates/frmo-domain/src/ident/ogrn.rs).
schemathesis.openapi.format(
    "ogrn",
    st.builds(lambda first, rest: ogrn(first + rest), st.sampled_from("15"), digits(11))
    | digits(13).map(lambda rest: ogrn("3" + rest)),
)
schemathesis.openapi.format(
    "snils",
    st.builds(snils, digits(9), st.booleans(), st.tuples(*[st.sampled_from("- ")] * 3)),
)
schemathesis.openapi.format(
    "period",
    st.one_of(
        years.map(str),
        st.builds(lambda y, m: f"{y}-{m:02d}", years, st.integers(1, 12)),
        st.builds(lambda y, q: f"{y}-Q{q}", years, st.integers(1, 4)),
        st.tuples(dates, dates).map(date_range),
    ),
)
