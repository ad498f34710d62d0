"""The faster ziamath layout draws what ziamath's own draws, and does less to get there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aipexport.render import ziamath_speed
from aipexport.render.mathsvg import Drawn, Failed, draw

#: Formulas of the kinds real notes hold, each with the constructs the changes touch: rows
#: with and without stretchy fences, fences in sub- and superscripts, under and over
#: arrows, matrices, cases, multi-line environments, roots, colours and sizes.
FORMULAS = [
    (r"x", False),
    (r"a + b = c", False),
    (r"\frac{b-\mu}{\sigma}", True),
    (r"\sum_{i=1}^{n} x_i^2", True),
    (r"\left( \frac{a}{b} \right)^{2}", False),
    (r"\left( \left[ \left\{ \frac{1}{1 + \frac{1}{x}} \right\} \right] \right)", True),
    (r"\left. \frac{df}{dx} \right|_{x=0}", True),
    (r"\left\langle u, v \right\rangle = \|u\| \|v\| \cos\theta", False),
    (r"f\left(x\right)_{\left(i\right)}^{\left(n\right)}", False),
    (r"\overset{EB}{\longleftarrow}(\mathbf{v}) \triangleq [\mathbf{v}]_{B}", True),
    (r"\underbrace{a + \cdots + a}_{n} = n a", True),
    (
        r"A = \begin{pmatrix} a_{11} & \dots & a_{1n} \\ \vdots & \ddots & \vdots \\ "
        r"a_{m1} & \dots & a_{mn} \end{pmatrix}",
        True,
    ),
    (r"\left[\begin{array}{cc|c} 1 & 2 & 3 \\ 4 & 5 & 6 \end{array}\right]", True),
    (r"|x| = \begin{cases} x & \text{if } x \ge 0 \\ -x & \text{otherwise} \end{cases}", True),
    ("\\begin{align}\nf(x) &= \\left(x+1\\right)^2 \\\\\n&= x^2 + 2x + 1\n\\end{align}", True),
    (
        r"\begin{aligned} \nabla \cdot E &= \frac{\rho}{\varepsilon_0} \\ "
        r"\nabla \times B &= \mu_0 \left( J + \varepsilon_0 \frac{\partial E}{\partial t} "
        r"\right) \end{aligned}",
        True,
    ),
    (r"\sqrt{\left( x_2 - x_1 \right)^2 + \left( y_2 - y_1 \right)^2}", False),
    (r"\sqrt[3]{\frac{a}{b}}", False),
    (r"\int_{0}^{\infty} e^{-x^2} \, dx = \frac{\sqrt{\pi}}{2}", True),
    (r"\lim_{n \to \infty} \left( 1 + \frac{1}{n} \right)^{n} = e", True),
    (r"\Large \textcolor{Red}{\begin{matrix} 1 & 2 \\ 3 & 4 \end{matrix}}", True),
    (
        r"\mathbf{A}\mathbf{x} = \mathbf{b}, \quad \mathcal{L}(\theta) = -\log p(x \mid \theta)",
        False,
    ),
    (r"P(A \mid B) = \frac{P(B \mid A) \, P(A)}{P(B)}", True),
    (r"\bigl( a \bigr) \Bigl[ b \Bigr] \biggl\{ c \biggr\}", False),
    (r"\left\lfloor \frac{n}{2} \right\rfloor + \left\lceil \frac{n}{2} \right\rceil = n", False),
    (r"\binom{n}{k} = \frac{n!}{k! \left( n - k \right)!}", True),
    (r"\frac{", False),  # fails the same way with both
]


@pytest.fixture
def ziamath_own() -> Iterator[None]:
    """ziamath's own layout during the test, the faster one after it."""
    draw("x", False)  # imports ziamath, with the changes installed
    ziamath_speed.uninstall()
    try:
        yield
    finally:
        assert ziamath_speed.install()


def _drawings() -> list[Drawn | Failed]:
    return [draw(tex, display) for tex, display in FORMULAS]


def test_the_pinned_ziamath_gets_the_faster_layout() -> None:
    draw("x", False)
    assert ziamath_speed.install()


def test_the_faster_layout_draws_the_same_pictures(ziamath_own: None) -> None:
    own = _drawings()
    assert ziamath_speed.install()
    faster = _drawings()
    assert sum(isinstance(result, Drawn) for result in own) == len(FORMULAS) - 1
    for (tex, _display), mine, theirs in zip(FORMULAS, faster, own, strict=True):
        assert mine == theirs, tex


def _nodes_made(tex: str) -> int:
    """How many layout nodes ziamath makes to draw ``tex``."""
    from ziamath.nodes.mnode import Mnode

    made = 0
    own = Mnode.__init__

    def counted(self: Mnode, *args: object, **kwargs: object) -> None:
        nonlocal made
        made += 1
        own(self, *args, **kwargs)

    Mnode.__init__ = counted  # type: ignore[method-assign]
    try:
        assert isinstance(draw(tex, True), Drawn)
    finally:
        Mnode.__init__ = own  # type: ignore[method-assign]
    return made


def test_a_nested_formula_is_laid_out_once_a_level(ziamath_own: None) -> None:
    nested = r"\left(" * 8 + "x" + r"\right)" * 8
    plain = "{" * 8 + "x" + "}" * 8
    own = _nodes_made(nested), _nodes_made(plain)
    assert ziamath_speed.install()
    faster = _nodes_made(nested), _nodes_made(plain)
    # ziamath's own doubles its work at each level; the faster layout does not.
    assert own[0] > 2**8
    assert faster[0] < own[0] / 8
    assert faster[1] < own[1] / 8
