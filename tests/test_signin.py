"""The editor sign-in throttle (metrics.signin) with a hand-driven clock, and the sign-in box of
the editor pages (metrics.ui.importing.editor) that uses it. Nothing here sleeps or times anything."""

from __future__ import annotations

import hmac

import pytest
import streamlit as st
from dashboard_helpers import build_db
from streamlit.testing.v1 import AppTest

from metrics import signin
from metrics.signin import Policy, Throttle

SECRET = "津门-2019"


class Clock:
    """A clock that moves only when told."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def throttle(clock) -> Throttle:
    return Throttle(clock=clock)


def fail(throttle: Throttle, session: str, times: int = 1) -> signin.Attempt:
    for _ in range(times):
        attempt = throttle.attempt(session, "wrong", SECRET)
        assert attempt.checked and not attempt.accepted
    return attempt


# --- the policy -----------------------------------------------------------------------------------


def test_delay_is_free_twice_then_doubles_up_to_five_minutes():
    policy = Policy(free=3, base=2, cap=300)
    assert [policy.delay(n) for n in range(1, 11)] == [0, 0, 8, 16, 32, 64, 128, 256, 300, 300]
    assert policy.delay(10**6) == 300


# --- one session ----------------------------------------------------------------------------------


def test_two_failures_cost_nothing(throttle):
    assert fail(throttle, "s1", 2).wait == 0
    assert throttle.wait("s1") == 0
    assert throttle.attempt("s1", SECRET, SECRET).accepted


def test_third_failure_makes_the_next_attempt_wait(throttle, clock):
    attempt = fail(throttle, "s1", 3)
    assert attempt.wait == 8 and attempt.wait_seconds == 8
    clock.advance(7.5)
    assert throttle.wait("s1") == 0.5
    early = throttle.attempt("s1", SECRET, SECRET)  # the right password, but too early
    assert (early.accepted, early.checked, early.wait_seconds) == (False, False, 1)
    assert throttle.failures("s1") == 3  # a refused attempt is not a failure and does not add time
    clock.advance(0.5)
    assert throttle.wait("s1") == 0
    assert throttle.attempt("s1", SECRET, SECRET).accepted


def test_attempts_during_a_wait_are_not_compared(throttle, clock, monkeypatch):
    fail(throttle, "s1", 3)
    compared = []
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: compared.append((a, b)) or True)
    assert not throttle.attempt("s1", SECRET, SECRET).checked
    assert compared == []
    clock.advance(8)
    assert throttle.attempt("s1", SECRET, SECRET).accepted
    assert compared == [(SECRET.encode(), SECRET.encode())]


def test_each_failure_after_the_third_doubles_the_wait(throttle, clock):
    waits = []
    for _ in range(9):
        attempt = fail(throttle, "s1")
        waits.append(attempt.wait)
        clock.advance(attempt.wait)
    assert waits == [0, 0, 8, 16, 32, 64, 128, 256, 300]


def test_success_resets_the_session(throttle, clock):
    fail(throttle, "s1", 3)
    clock.advance(8)
    assert throttle.attempt("s1", SECRET, SECRET).accepted
    assert throttle.failures("s1") == 0
    assert fail(throttle, "s1", 2).wait == 0  # two free failures again
    assert fail(throttle, "s1").wait == 8


def test_failures_are_forgotten_after_an_hour_without_one(throttle, clock):
    fail(throttle, "s1", 3)
    clock.advance(3599)
    assert throttle.failures("s1") == 3 and throttle.failures() == 3
    clock.advance(1)
    assert throttle.failures("s1") == 0 and throttle.failures() == 0
    assert fail(throttle, "s1").wait == 0


def test_an_empty_password_never_signs_in(throttle):
    assert not throttle.attempt("s1", "", "").accepted


# --- many sessions --------------------------------------------------------------------------------


def test_another_session_keeps_its_own_free_attempts(throttle):
    fail(throttle, "s1", 3)
    assert throttle.wait("s1") == 8
    assert throttle.wait("s2") == 0
    assert throttle.attempt("s2", SECRET, SECRET).accepted


def test_new_sessions_do_not_reset_the_count_of_all_sessions(throttle, clock):
    for n in range(9):  # one guess per new session: each session's own count stays at 1
        assert fail(throttle, f"guess-{n}").wait == 0
    attempt = fail(throttle, "guess-9")  # the 10th failure of all sessions
    assert attempt.wait == 300
    assert throttle.failures() == 10
    fresh = throttle.attempt("fresh", SECRET, SECRET)
    assert (fresh.accepted, fresh.checked, fresh.wait) == (False, False, 300)
    clock.advance(299)
    assert not throttle.attempt("another", SECRET, SECRET).checked
    clock.advance(1)
    assert throttle.attempt("fresh", SECRET, SECRET).accepted
    assert throttle.failures() == 10  # a success in one session does not clear the others' guesses
    assert fail(throttle, "guess-10").wait == 300


def test_forget_after_must_outlast_the_longest_wait(clock):
    with pytest.raises(ValueError):
        Throttle(clock=clock, forget_after=60)


# --- the sign-in box of the editor pages ----------------------------------------------------------

PAGE = "metrics/ui/pages/importer.py"


@pytest.fixture(scope="module")
def page_db(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("signin_db"))


@pytest.fixture
def page_clock(page_db, tmp_path, monkeypatch) -> Clock:
    """The app on its own database and imports folder, with the password set and a fresh
    throttle on a hand-driven clock in place of the process's one."""
    monkeypatch.setenv("METRICS_DB", str(page_db))
    monkeypatch.setenv("METRICS_IMPORTS_DIR", str(tmp_path / "imports"))
    monkeypatch.setenv("METRICS_EDITOR_PASSWORD", SECRET)
    clock = Clock()
    monkeypatch.setattr(signin, "THROTTLE", Throttle(clock=clock))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield clock
    st.cache_data.clear()
    st.cache_resource.clear()


def open_importer(english: bool = False) -> AppTest:
    at = AppTest.from_file("../dashboard.py", default_timeout=60)
    if english:
        at.query_params["lang"] = "English"
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def enter(at: AppTest, password: str) -> AppTest:
    at.text_input(key="editor_password").input(password).run()
    assert not at.exception, [e.value for e in at.exception]
    # The box never keeps a password (once signed in, it is gone).
    assert [b.value for b in at.text_input if b.key == "editor_password"] in ([""], [])
    return at


def signed_in(at: AppTest) -> bool:
    return bool(at.get("file_uploader"))


def test_page_makes_the_editor_wait_after_three_wrong_passwords(page_clock):
    at = open_importer()
    for _ in range(2):
        enter(at, "天津")
        assert [e.value for e in at.error] == ["口令不正确。"] and not at.warning
    enter(at, "天津")
    assert [e.value for e in at.error] == ["口令不正确。"]
    assert [w.value for w in at.warning] == ["请 8 秒后再试。"]
    page_clock.advance(5)
    enter(at, SECRET)
    assert not signed_in(at)
    assert [e.value for e in at.error] == ["尝试次数过多，本次输入的口令未被核对。"]
    assert [w.value for w in at.warning] == ["请 3 秒后再试。"]
    page_clock.advance(3)
    enter(at, SECRET)
    assert signed_in(at) and not at.error and not at.warning


def test_the_same_wrong_password_twice_counts_twice(page_clock):
    at = open_importer()
    enter(at, "天津")
    enter(at, "天津")
    assert signin.THROTTLE.failures() == 2
    at.run()  # a rerun (another widget, a new build) is not another attempt
    assert signin.THROTTLE.failures() == 2


def test_a_new_session_waits_too_in_english(page_clock):
    first = open_importer()
    for _ in range(9):
        enter(first, "wrong")
        page_clock.advance(300)  # the session's own wait is over each time
    enter(first, "wrong")  # the 10th failure of all sessions
    second = open_importer(english=True)
    enter(second, SECRET)
    assert not signed_in(second)
    assert [e.value for e in second.error] == ["Too many wrong attempts: this password was not checked."]
    assert [w.value for w in second.warning] == ["Try again in 300 seconds."]
