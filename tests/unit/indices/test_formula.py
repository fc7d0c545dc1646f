"""The safe formula compiler: whitelist in, everything else refused with a clear message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from prospect.errors import FormulaError
from prospect.indices.formula import BinOp, Call, Const, Neg, Var, parse_formula, variables

PACKAGE = Path(__file__).resolve().parents[3] / "prospect" / "indices"


def test_parses_arithmetic_into_a_tree() -> None:
    expr = parse_formula("(N - R) / (N + R + 0.5) * -L ** 2")
    assert isinstance(expr, BinOp) and expr.op == "*"
    assert variables(expr) == ["N", "R", "L"]
    assert parse_formula("-2") == Const(-2.0)
    assert parse_formula("+N") == Var("N")
    assert parse_formula("-N") == Neg(Var("N"))
    assert parse_formula("sqrt(abs(N - R))") == Call(
        "sqrt", (Call("abs", (BinOp("-", Var("N"), Var("R")),)),))
    assert parse_formula("minimum(N, 0.3)") == Call("minimum", (Var("N"), Const(0.3)))


@pytest.mark.parametrize(
    ("formula", "token"),
    [
        ("__import__('os').system('echo hacked')", "__import__"),
        ("N.__class__", "N.__class__"),
        ("N[0]", "N[0]"),
        ("lambda: N", "lambda"),
        ("N if R else G", "N if R else G"),
        ("N > R", "N > R"),
        ("N // R", "N // R"),
        ("N % R", "N % R"),
        ("N @ R", "N @ R"),
        ("N & R", "N & R"),
        ("'text'", "'text'"),
        ("True", "True"),
        ("[N, R]", "[N, R]"),
        ("open('/etc/passwd')", "open"),
        ("np.exp(N)", "np.exp"),
        ("exp(x=N)", "exp(x=N)"),
        ("not N", "not N"),
        ("~N", "~N"),
        ("(N := 3)", "N := 3"),
        ("1j * N", "1j"),
    ],
)
def test_refuses_everything_off_the_whitelist(formula: str, token: str) -> None:
    with pytest.raises(FormulaError) as info:
        parse_formula(formula, name="EVIL")
    message = str(info.value)
    assert "'EVIL'" in message
    assert token in message
    assert repr(formula) in message


def test_syntax_errors_and_limits_are_formula_errors() -> None:
    with pytest.raises(FormulaError, match="cannot parse"):
        parse_formula("(N - R", name="X")
    with pytest.raises(FormulaError, match="empty formula"):
        parse_formula("  ")
    with pytest.raises(FormulaError, match="takes 1 argument"):
        parse_formula("sqrt(N, R)")
    with pytest.raises(FormulaError, match="characters"):
        parse_formula("N + " * 2000 + "N")
    with pytest.raises(FormulaError, match="nested too deeply"):
        parse_formula("(" * 80 + "N" + ")" * 80 + "+" + "-(" * 80 + "N" + ")" * 80)
    with pytest.raises(FormulaError):
        parse_formula("1e999 * N")  # overflows to inf: refused


def test_no_eval_or_exec_anywhere_in_the_engine() -> None:
    pattern = re.compile(r"\b(eval|exec)\s*\(")
    offenders = [str(p) for p in PACKAGE.rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []
