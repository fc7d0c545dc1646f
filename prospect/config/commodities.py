"""The commodities a model may prospect for (``model.mineral``): names, symbols, a check.

A model, its map and its card are labelled with ``model.mineral``; a typo (``lithum``)
labelled them with a commodity that does not exist, without a word. The list holds the
critical raw materials of the EU Critical Raw Materials Act (Regulation (EU) 2024/1252,
Annex II, spelled as prospectors write them: ``graphite``, ``rare earths``), the rare-earth
and platinum-group elements one by one, and the other metals and industrial minerals
that are commonly prospected. A commodity may be written in any case, with ``_`` or ``-``
for spaces, or as its chemical symbol (``Li``, ``REE``, ``PGM``). One that is not listed
is accepted with ``model.allow_unlisted_mineral: true``.
"""

from __future__ import annotations

import difflib
import re

from prospect.errors import ConfigError

__all__ = ["COMMODITIES", "CRITICAL_RAW_MATERIALS", "check_commodity", "column_commodity",
           "column_quantity", "column_ratio", "commodity_name", "deposit_types_named",
           "grade_of_another", "not_determined", "symbols_named"]

CRITICAL_RAW_MATERIALS: tuple[str, ...] = (
    "aluminium", "antimony", "arsenic", "baryte", "bauxite", "beryllium", "bismuth", "boron",
    "cobalt", "coking coal", "copper", "feldspar", "fluorspar", "gallium", "germanium",
    "graphite", "hafnium", "helium", "heavy rare earths", "light rare earths", "lithium",
    "magnesium", "manganese", "nickel", "niobium", "phosphate rock", "phosphorus",
    "platinum group metals", "rare earths", "scandium", "silicon", "strontium", "tantalum",
    "titanium", "tungsten", "vanadium",
)
"""The EU's critical raw materials (Regulation (EU) 2024/1252, Annex II), plus ``rare
earths`` for both groups together."""

_ELEMENTS: dict[str, str] = {  # element (or group) -> symbol
    "aluminium": "Al", "antimony": "Sb", "arsenic": "As", "beryllium": "Be", "bismuth": "Bi",
    "boron": "B", "cobalt": "Co", "copper": "Cu", "gallium": "Ga", "germanium": "Ge",
    "hafnium": "Hf", "helium": "He", "lithium": "Li", "magnesium": "Mg", "manganese": "Mn",
    "nickel": "Ni", "niobium": "Nb", "phosphorus": "P", "scandium": "Sc", "silicon": "Si",
    "strontium": "Sr", "tantalum": "Ta", "titanium": "Ti", "tungsten": "W", "vanadium": "V",
    "gold": "Au", "silver": "Ag", "zinc": "Zn", "lead": "Pb", "tin": "Sn", "iron": "Fe",
    "chromium": "Cr", "molybdenum": "Mo", "uranium": "U", "thorium": "Th", "zirconium": "Zr",
    "indium": "In", "tellurium": "Te", "selenium": "Se", "cadmium": "Cd", "rhenium": "Re",
    "mercury": "Hg", "caesium": "Cs", "rubidium": "Rb", "iodine": "I", "bromine": "Br",
    "sulphur": "S", "platinum": "Pt", "palladium": "Pd", "rhodium": "Rh", "iridium": "Ir",
    "osmium": "Os", "ruthenium": "Ru", "yttrium": "Y", "lanthanum": "La", "cerium": "Ce",
    "praseodymium": "Pr", "neodymium": "Nd", "samarium": "Sm", "europium": "Eu",
    "gadolinium": "Gd", "terbium": "Tb", "dysprosium": "Dy", "holmium": "Ho", "erbium": "Er",
    "thulium": "Tm", "ytterbium": "Yb", "lutetium": "Lu",
    "rare earths": "REE", "platinum group metals": "PGM",
}

COMMODITIES: tuple[str, ...] = tuple(sorted({
    *CRITICAL_RAW_MATERIALS, *_ELEMENTS,
    "potash", "diamond", "kaolin", "halite", "gypsum", "silica sand", "coal",
}))
"""Every commodity :func:`check_commodity` knows, by name."""

_ALIASES: dict[str, str] = {
    **{symbol.lower(): name for name, symbol in _ELEMENTS.items()},
    "aluminum": "aluminium", "barite": "baryte", "fluorite": "fluorspar", "cesium": "caesium",
    "sulfur": "sulphur", "ree": "rare earths", "rare earth elements": "rare earths",
    "hree": "heavy rare earths", "lree": "light rare earths", "pge": "platinum group metals",
    "platinum group elements": "platinum group metals", "natural graphite": "graphite",
    "silicon metal": "silicon", "titanium metal": "titanium", "phosphate": "phosphate rock",
    "borate": "boron", "alumina": "aluminium", "treo": "rare earths", "reo": "rare earths",
    "lce": "lithium", "tree": "rare earths", "tre": "rare earths",
}

_OTHER_LANGUAGES: dict[str, tuple[str, ...]] = {
    "lithium": ("litio", "lítio", "liti"),
    "tungsten": ("wolfram", "wolfraam", "vonfram", "wolframio", "volfrâmio", "tungsteno",
                 "tungstênio", "tungstène"),
    "rare earths": ("seltene erden", "zeldzame aardmetalen", "zeldzame aarden", "đất hiếm",
                    "dat hiem", "tierras raras", "terras raras", "terres rares"),
    "graphite": ("graphit", "grafiet", "grafito", "grafite"),
    "antimony": ("antimon", "antimoon", "antimonio", "antimônio", "antimoine"),
    "manganese": ("mangan", "mangaan", "manganeso", "manganês", "manganèse"),
    "nickel": ("nikkel", "niken", "níquel", "niquel"),
    "cobalt": ("kobalt", "coban", "cobalto"),
    "tantalum": ("tantal", "tantaal", "tantali", "tántalo", "tântalo", "tantale"),
    "niobium": ("niob", "niobi", "niobio", "nióbio"),
    "vanadium": ("vanadi", "vanadio", "vanádio"),
    "magnesium": ("magnesio", "magnésio", "magnésium"),
    "gallium": ("galio", "gálio"),
    "germanium": ("germanio", "germânio"),
    "beryllium": ("berilio", "berílio", "béryllium"),
    "titanium": ("titan", "titaan", "titanio", "titânio", "titane"),
    "fluorspar": ("flussspat", "fluorit", "vloeispaat", "fluorita"),
    "baryte": ("baryt", "bariet", "barita"),
    "bauxite": ("bauxit", "bauxiet", "bauxita"),
    "aluminium": ("nhôm", "aluminio", "alumínio"),
    "tin": ("zinn", "thiếc", "estaño", "estanho", "étain"),
    "copper": ("kupfer", "koper", "đồng", "cobre", "cuivre"),
    "lead": ("blei", "lood", "chì", "plomo", "chumbo", "plomb"),
    "zinc": ("zink", "kẽm", "zinco"),
    "iron": ("eisen", "ijzer", "sắt", "hierro"),
    "gold": ("goud", "vàng", "oro", "ouro"),
    "silver": ("silber", "zilver", "bạc", "plata", "prata", "argent"),
    "molybdenum": ("molybdän", "molybdeen", "molypden", "molibdeno", "molibdênio"),
    "uranium": ("uran", "urani", "uranio", "urânio"),
    "boron": ("borium", "boro"),
}
"""Names of commodities in the partners' and surveys' languages (German, Dutch,
Vietnamese with and without its marks, Spanish, Portuguese, French) where they differ from
the English: a commodity column of ``Wolfram`` and ``Zinn`` (a German survey's) or
``Vonfram`` and ``Thiếc`` (a Vietnamese one's) named no commodity, so a lithium model
kept every such record as a lithium occurrence, without a word where fewer than half the
cells named one known."""

_ALIASES |= {name: commodity for commodity, names in _OTHER_LANGUAGES.items()
             for name in names}


def _key(text: str) -> str:
    """``text`` lower-cased, with ``_``, ``-`` and runs of spaces as one space."""
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())


def commodity_name(text: str) -> str | None:
    """The listed commodity ``text`` names (``Li`` -> ``lithium``), or ``None``."""
    key = _key(text)
    if key in COMMODITIES:
        return key
    return _ALIASES.get(key)


def check_commodity(where: str, text: str) -> None:
    """Refuse a commodity that is not listed, with the nearest listed names.

    Raises
    ------
    ConfigError
        Naming the key, the value, the close matches and every listed commodity.
    """
    if commodity_name(text) is not None:
        return
    near = difflib.get_close_matches(_key(text), [*COMMODITIES, *_ALIASES], n=3, cutoff=0.75)
    meant = list(dict.fromkeys(_ALIASES.get(n, n) for n in near))
    hint = f" (did you mean {' or '.join(map(repr, meant))}?)" if meant else ""
    raise ConfigError(
        f"{where}: {text!r} is no commodity Prospect knows{hint}; give one of "
        f"{', '.join(COMMODITIES)} (or its chemical symbol), or set "
        "'allow_unlisted_mineral: true' in the model section for one not listed")


_REE = frozenset({"lanthanum", "cerium", "praseodymium", "neodymium", "samarium", "europium",
                  "gadolinium", "terbium", "dysprosium", "holmium", "erbium", "thulium",
                  "ytterbium", "lutetium", "yttrium", "scandium"})
_RELATED: tuple[frozenset[str], ...] = (
    _REE | {"rare earths", "heavy rare earths", "light rare earths"},
    frozenset({"platinum group metals", "platinum", "palladium", "rhodium", "iridium",
               "osmium", "ruthenium"}),
    frozenset({"phosphate rock", "phosphorus"}),
    frozenset({"bauxite", "aluminium", "gallium"}),  # gallium is a by-product of bauxite
    frozenset({"silica sand", "silicon"}),
    frozenset({"coking coal", "coal"}),
)
"""Commodities a grade column of another may stand for (a group and its elements, an ore
and its metal)."""


_NOT_A_SYMBOL = frozenset({"in", "as", "at", "be", "by", "co", "is", "no", "of", "on", "or",
                           "to", "mg"})
"""Two-letter words of column names that are English or units before they are symbols
(``value_in_ppm``, ``li_mg_l``): a later word counts as one only written ``In``, ``Mg``."""


_EQUIVALENTS: dict[str, str | None] = {"eU": "uranium", "eTh": "thorium", "eK": None}
"""The equivalent grades of gamma-ray spectrometry (``eU``, ``eTh``: uranium and thorium
from the counts of their daughters; ``eK``): ``eU`` was europium."""


def _names_commodity(word: str, first: bool) -> str | None:
    """The commodity ``word`` names at its place in a column name (see
    :func:`column_commodity`)."""
    if word in _EQUIVALENTS:
        return _EQUIVALENTS[word]
    if first or len(word) > 2:
        return commodity_name(word)
    if word[0].isupper() and word[1:].islower():  # symbol case: Li, Zn, V, In
        return commodity_name(word)
    if len(word) == 2 and word.lower() not in _NOT_A_SYMBOL:  # li, ZN in total_li_ppm
        return commodity_name(word)
    return None


_SYMBOL_TEXT = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge "
    "As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm "
    "Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th "
    "Pa U Np Pu")
_SYMBOLS = frozenset(_SYMBOL_TEXT.split())
"""The chemical elements' symbols, for telling a formula (``WO3``, ``LiCl``) in a name."""


_CAPITAL_MONOXIDES = frozenset({"CAO", "MGO", "FEO", "MNO", "BAO", "SRO", "ZNO", "PBO",
                                "CUO", "NIO", "COO", "CDO", "BEO"})
"""Monoxides of whole-rock and ore analyses written in capitals, with no digit to tell
them a formula (``CAO``, ``MGO``, ``MNO``, ``CUO``, ``ZNO``, ``PBO``), as upper-case
exports write ``CaO``, ``MnO``, ``CuO``: they named nothing (round 52), so a copper
model refused a table of ``CUO`` occurrences as of other commodities, and ``FEO_PCT``
was taken for a lithium grade. A list, not a rule: other capitals of a symbol and ``O``
are words (``AGO``, ``CEO``, ``GEO``, ``RHO``, a log's density)."""


def _formula_commodity(token: str) -> tuple[bool, str | None]:
    """``(is a formula, the commodity it is a grade of)`` for one part of a column name:
    a chemical formula of two or more elements, written with a digit or in symbol case
    (``WO3``, ``TiO2``, ``LiCl``, ``Li2CO3``, ``MnO``; not ``PPM`` or ``ID``), or one of
    :data:`_CAPITAL_MONOXIDES` (``CUO``, ``MNO``), names the commodity of its first
    element that is one (``LiCl``: lithium; ``CO2``: none)."""
    import re

    if token in _CAPITAL_MONOXIDES:
        return True, _first_commodity([token[:2].capitalize(), "O"])
    if re.fullmatch(r"[A-Z0-9]+", token) and re.search(r"[A-Z]{2}", token) and \
            re.search(r"\d", token):
        return _capitals_formula_commodity(token)
    parts = re.findall(r"([A-Z][a-z]?)(\d*)", token)
    if len(parts) < 2 or "".join(a + b for a, b in parts) != token or \
            not all(a in _SYMBOLS for a, _ in parts) or \
            not re.search(r"\d|[a-z]", token):
        return False, None
    return True, _first_commodity([a for a, _ in parts])


def _first_commodity(symbols: list[str]) -> str | None:
    """The commodity of a formula's first element that is one (not oxygen, carbon,
    hydrogen, nitrogen, chlorine or fluorine)."""
    for symbol in symbols:
        if symbol not in ("O", "C", "H", "N", "Cl", "F"):
            found = commodity_name(symbol)
            if found is not None:
                return found
    return None


def _symbol_splits(text: str) -> list[list[str]]:
    """Every way to read ``text``, capitals and digits (``NB2O5``), as element symbols
    each followed by its count (``[['N', 'B', 'O'], ['Nb', 'O']]``)."""
    import re

    if not text:
        return [[]]
    out: list[list[str]] = []
    for size in (1, 2):
        symbol = text[:size].capitalize()
        if len(text) < size or not text[:size].isalpha() or symbol not in _SYMBOLS:
            continue
        count = re.match(r"\d*", text[size:])
        rest = text[size + (len(count.group()) if count else 0):]
        # no formula writes one element twice in a row: ``CO3O4`` is ``Co3O4`` (cobalt's
        # oxide), not carbon with oxygen twice (read so, it named nothing)
        out.extend([symbol, *tail] for tail in _symbol_splits(rest)
                   if not tail or tail[0] != symbol)
    return out


def _capitals_formula_commodity(token: str) -> tuple[bool, str | None]:
    """:func:`_formula_commodity` of a formula written in capitals with a digit (``NB2O5``,
    ``SNO2``, ``LI2O``, ``TA2O5``, ``SIO2``, as upper-case exports write them), read with
    the fewest symbols of two or more elements (``Nb2O5``, ``SnO2``: an oxide's metal
    written as one symbol, not two), a symbol ending in ``O`` (``Co``, ``Ho``, ``Po``)
    taken only where the letter cannot be oxygen (``HCO3``, ``CACO3`` are carbonates, not
    cobalt; ``MOO3`` is molybdenum's); where such readings name different commodities,
    none. Read one letter a symbol, ``NB2O5`` was boron, ``SNO2`` sulphur, and ``LI2O``,
    ``TA2O5``, ``MNO2`` no formula at all (round 51); ``CO2`` stays carbon dioxide
    (``Co2`` is one element, no formula)."""
    splits = [s for s in _symbol_splits(token) if len(s) >= 2]
    if not splits:
        return False, None

    def weight(split: list[str]) -> tuple[int, int]:
        return sum(len(a) == 2 and a[1] == "o" for a in split), len(split)

    best = min(map(weight, splits))
    found = {_first_commodity(s) for s in splits if weight(s) == best}
    return True, found.pop() if len(found) == 1 else None


_ELEMENT_NAMES: dict[str, str] = {name: symbol for name, symbol in _ELEMENTS.items()
                                   if " " not in name}
_RATIO_WORD = re.compile(r"(?:^|[^A-Za-z])(?:ratios?|quotient|index)(?:$|[^A-Za-z])",
                         re.IGNORECASE)
_BETWEEN = re.compile(r"\s*(?:[/:÷]|_?(?:to|over|vs|per)_?|\s(?:to|over|vs)\s)\s*")


def _element(word: str) -> str | None:
    """The element symbol ``word`` names as a part of a ratio: a symbol in symbol case
    (``Li``, ``Mg``, ``K``) or an element's name in any case (``lithium``)."""
    if word in _SYMBOLS:
        return word
    return _ELEMENT_NAMES.get(word.lower()) or (
        "K" if word.lower() == "potassium" else "Na" if word.lower() == "sodium" else None)


def column_ratio(column: str) -> tuple[str, str] | None:
    """The two elements a column's name is a ratio of (``Mg_Li_ratio``, ``Li/Mg``,
    ``Mg:Li``, ``Li_to_Mg``, ``K_Na``: ``("Mg", "Li")`` and so on; a name saying ``ratio``
    or ``index`` over fewer than two elements gives ``("", "")``), or ``None`` for a name
    that is no ratio (``Li_ppm``, ``Li (mg/L)``, ``Na_K_geothermometer_C``).

    A ratio is no grade: ``Mg_Li_ratio`` was read as a magnesium grade and ``Li/Mg`` as a
    lithium one (:func:`column_commodity`), so a lithium model trained on the Mg/Li ratio
    of brines (low where lithium is worth extracting) was warned of as one of magnesium,
    or not at all.
    """
    words = [w for w in re.split(r"[^A-Za-z0-9]+", column) if w]
    elements = [e for e in map(_element, words) if e is not None]
    if _RATIO_WORD.search(column):
        return (elements[0], elements[1]) if len(elements) >= 2 else ("", "")
    found = re.fullmatch(r"\s*([A-Za-z]+)" + _BETWEEN.pattern + r"([A-Za-z]+)\s*", column)
    if found is not None:
        a, b = _element(found.group(1)), _element(found.group(2))
        if a is not None and b is not None:
            return a, b
    if len(words) == 2 and all(w in _SYMBOLS for w in words) and "_" in column and \
            not any(w in ("C", "N", "O", "S") for w in words):  # K_Na (not Cu_S, ...)
        return words[0], words[1]
    return None


_B = r"(?<![A-Za-z0-9])"
_E = r"(?![A-Za-z0-9])"
_QUANTITY_UNITS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"{_B}mW\s*[_/.\s-]?\s*m(?:2|²|\^2|-2|⁻²)?{_E}"), "a heat flow"),
    (re.compile(rf"{_B}W\s*[_/.\s-]?\s*m\s*[_/.\s-]?\s*K{_E}"),
     "a thermal conductivity"),
    (re.compile(rf"{_B}(?:mD|darcy|Darcy){_E}"), "a permeability"),
    (re.compile(rf"{_B}(?:deg|°|º)\s*[_ ]?\s*[CFK]{_E}|°[CF]"), "a temperature"),
    (re.compile(rf"{_B}(?:bar[ag]?|psi[ag]?|[MkK]Pa){_E}"), "a pressure"),
    (re.compile(rf"{_B}(?:ohm\s*[_.\-]?\s*m|ohmm|Ω\s*[.·]?\s*m){_E}", re.IGNORECASE),
     "a resistivity"),
    (re.compile(rf"{_B}(?:m3|m³)\s*[_/]\s*(?:h|hr|d|day){_E}", re.IGNORECASE), "a flow"),
    (re.compile(rf"{_B}(?:gAPI|API){_E}"), "a gamma-ray log"),
)
"""Units a column's name writes after its first word that say it holds a well's or a
site's physical figure, not a grade: heat flow in mW/m2, permeability in mD, a temperature
in degC or °F, a pressure, a resistivity, a flow in m3/h, a gamma-ray log in API units."""


def column_quantity(column: str) -> str | None:
    """What ``column`` holds when its name writes the unit of a physical figure that is no
    grade (:data:`_QUANTITY_UNITS`): ``HF_mW_m2`` and ``q (mW/m²)`` a heat flow, ``K_mD``
    a permeability, ``SB_degC`` a temperature; ``None`` otherwise.

    Such an abbreviation was read by its element symbol: ``HF_mW_m2`` (heat flow, as many
    tables name it) as hafnium, ``K_mD`` as potassium, ``TI_degC`` as titanium, so a
    screening of the heat-flow surface named it "a grade of hafnium", a lithium model
    labelled by heat flow was told its labels were hafnium's, and a permeability or a
    heat flow written ``q_mW_m2`` was screened as lithium where its units allowed.

    Parameters
    ----------
    column
        A points column's name.
    """
    first = re.search(r"[A-Za-z0-9]+", column)
    rest = column[first.end():] if first is not None else ""
    for pattern, what in _QUANTITY_UNITS:
        found = pattern.search(rest)
        if found is not None:
            return f"{what} (its name writes {found.group(0).strip()!r})"
    return None


def column_commodity(column: str) -> str | None:
    """The commodity a grade column's name is a grade of (``LI_PPM``, ``total_Li_ppm``,
    ``ppm_Li`` and ``Li2O_pct`` -> ``lithium``; ``P2O5_pct`` -> ``phosphorus``), or
    ``None``.

    The first word naming a commodity counts: the first word as any name or symbol, a
    later one as a name (``zinc``) or a symbol of two letters in symbol case (``Li``) or
    one case (``li``, ``LI``), so units and English after it (``mg`` in ``li_mg_l``,
    ``in`` in ``grade_in_ppm``, the ``g`` and ``t`` of ``g_t``) name no commodity. It was
    the first word only: ``total_Li_ppm`` and ``ppm_Li`` named none. A chemical formula
    (``WO3_pct``, ``TiO2``, ``MnO``, ``LiCl``: :func:`_formula_commodity`) names the
    commodity of its element: they named none (``WO3``, ``LiCl``), or another
    (``CO2_ppm`` was cobalt). A ratio (:func:`column_ratio`: ``Mg_Li_ratio``, ``Li/Mg``)
    is a grade of no commodity, nor is a physical figure written with its unit
    (:func:`column_quantity`: ``HF_mW_m2``, heat flow, was hafnium). A radiometric
    survey's ``eU`` and ``eTh`` are uranium and thorium (``eU`` was europium), ``TREE``
    rare earths (as ``TREO`` is).
    """
    if column_ratio(column) is not None or column_quantity(column) is not None:
        return None
    i = 0
    for token in (t for t in re.split(r"[^A-Za-z0-9]+", column) if t):
        formula, found = _formula_commodity(token)
        if formula:
            if found is not None:
                return found
            i += 1
            continue
        for word in (w for w in re.split(r"[^A-Za-z]+", token) if w):
            found = _names_commodity(word, i == 0)
            i += 1
            if found is not None:
                return found
    return None


_GROUP_SYMBOLS = frozenset({"REE", "HREE", "LREE", "PGE", "PGM", "TREO", "TREE"})
"""Upper-case names of element groups a text may write among symbols (``REE (Nd, Pr)``)."""


def symbols_named(text: str) -> set[str]:
    """The commodities a free text names by chemical symbol or formula, written in symbol
    case (``Li``, ``Ge``, ``W``; ``Li2O``, ``LiCl``; ``REE``): ``'Sn-W (Li)'`` is tin,
    tungsten and lithium, ``'Ge in sphalerite'`` germanium, ``'Cu Zn Pb'`` copper, zinc
    and lead. Symbols that are English words or units (:data:`_NOT_A_SYMBOL`: ``In``,
    ``As``, ``Be``...) and single letters (``W``, ``I``) count only where every word of
    ``text`` is a symbol (``'Sn W'``, ``'Au As'``); lower-case words never (``in``). A
    text of two or more words in capitals, each a symbol (``'CU AU'``, ``'SN W'``), names
    theirs.

    Parameters
    ----------
    text
        One part of a commodity cell (its lists already split at ``,`` and ``;``).
    """
    words = [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]
    every = bool(words) and all(w in _SYMBOLS or w in _GROUP_SYMBOLS or
                                _formula_commodity(w)[0] for w in words)
    out: set[str] = set()
    if len(words) > 1 and all(w.isupper() and w.capitalize() in _SYMBOLS for w in words):
        # a text in capitals of symbols alone ('CU AU', 'PB ZN AG', 'SN W': an old
        # survey's export) named nothing, so a lithium model kept such records
        return {c for c in map(commodity_name, words) if c is not None}
    for word in words:
        formula, found = _formula_commodity(word)
        if formula:
            if found is not None:
                out.add(found)
            continue
        if word in _GROUP_SYMBOLS or (word in _SYMBOLS and (
                every or (len(word) == 2 and word.lower() not in _NOT_A_SYMBOL))):
            found = commodity_name(word)
            if found is not None:
                out.add(found)
    return out


_DEPOSIT_TYPES: dict[str, frozenset[str]] = {
    "LCT": frozenset({"lithium", "caesium", "tantalum"}),  # lithium-caesium-tantalum
    "NYF": frozenset({"niobium", "yttrium", "fluorspar"}),  # niobium-yttrium-fluorine
    "IOCG": frozenset({"iron", "copper", "gold"}),  # iron oxide-copper-gold
    "MVT": frozenset({"lead", "zinc"}),  # Mississippi Valley type
    "HMS": frozenset({"titanium", "zirconium"}),  # heavy mineral sands: ilmenite, zircon
}
"""Deposit types named by the commodities of their acronym (``LCT pegmatite``; ``HMS``,
heavy mineral sands, named nothing and was kept as an occurrence of any mineral)."""


def deposit_types_named(text: str) -> set[str]:
    """The commodities a free text names by a deposit type's acronym, written in capitals:
    ``'LCT pegmatite'`` is lithium, caesium and tantalum (it named no commodity, and was
    kept as an occurrence of any model's mineral, a tungsten one's too), ``'NYF'``
    niobium, yttrium and fluorspar, ``'IOCG'`` iron, copper and gold, ``'MVT'`` lead and
    zinc, ``'HMS'`` (heavy mineral sands) titanium and zirconium.

    Parameters
    ----------
    text
        One part of a commodity cell (its lists already split at ``,`` and ``;``).
    """
    words = re.split(r"[^A-Za-z]+", text)
    return set().union(*(_DEPOSIT_TYPES.get(w, frozenset()) for w in words))


_NOT_DETERMINED = re.compile(r"n\.?\s*/?\s*d\.?|not\s+determined", re.IGNORECASE)


def not_determined(text: str) -> bool:
    """Whether a commodity cell (or one part of it) says its commodity is not determined:
    ``ND``, ``n.d.``, ``N/D``, ``not determined``. Such a cell named neodymium (``nd``
    in any case), so a record of no known commodity was left out of a lithium model's
    labels as "neodymium", and counted as a rare-earth occurrence by a rare-earth model;
    only ``Nd``, in symbol case, is neodymium."""
    text = text.strip()
    return text != "Nd" and _NOT_DETERMINED.fullmatch(text) is not None


def grade_of_another(mineral: str, column: str) -> str | None:
    """The commodity ``column`` is a grade of, when that is not ``mineral`` nor related to
    it (:data:`_RELATED`); ``None`` otherwise, or when either is not known."""
    meant, graded = commodity_name(mineral), column_commodity(column)
    if meant is None or graded is None or meant == graded:
        return None
    if any(meant in group and graded in group for group in _RELATED):
        return None
    return graded
