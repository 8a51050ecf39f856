"""The CI's second-pass selection (tests/conftest.py): the first pass records what it skipped
(single tests and whole modules), the second runs exactly those and the tests marked slow, and
refuses a list naming a test it cannot find."""

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = (Path(__file__).parent / "conftest.py").read_text()


@pytest.fixture
def suite(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makeini("[pytest]\nmarkers =\n    slow: long\n")
    pytester.makepyfile(
        test_some="""
            import pytest

            def test_skips():
                pytest.skip("a missing tool")

            def test_runs():
                pass

            @pytest.mark.slow
            def test_slow():
                pass
            """,
        test_module_skip="""
            import pytest
            pytest.skip("a missing extra", allow_module_level=True)

            def test_inside():
                pass
            """)
    return pytester


def test_first_pass_records_skipped_tests_and_modules(suite):
    result = suite.runpytest("-m", "not slow", "--record-skipped=skipped.txt")
    result.assert_outcomes(passed=1, skipped=2)
    assert (suite.path / "skipped.txt").read_text().split() == [
        "test_module_skip.py", "test_some.py::test_skips"]


def test_second_pass_runs_the_skipped_and_the_slow_tests_only(suite):
    (suite.path / "skipped.txt").write_text("test_module_skip.py\ntest_some.py::test_skips\n")
    (suite.path / "test_module_skip.py").write_text("def test_inside():\n    pass\n")
    result = suite.runpytest("--extras-pass=skipped.txt", "-v")
    result.assert_outcomes(passed=2, skipped=1, deselected=1)
    # the slow tests first (the longest go first in CI's second pass), then the recorded ones
    result.stdout.fnmatch_lines(["*test_some.py::test_slow PASSED*",
                                 "*test_module_skip.py::test_inside PASSED*",
                                 "*test_some.py::test_skips SKIPPED*"])


def test_second_pass_refuses_a_list_naming_an_unknown_test(suite):
    (suite.path / "skipped.txt").write_text("test_some.py::test_gone\n")
    result = suite.runpytest("--extras-pass=skipped.txt")
    result.stderr.fnmatch_lines(["*--extras-pass skipped.txt: 1 listed tests were not "
                                 "collected, e.g. test_some.py::test_gone*"])
    assert result.ret != 0
