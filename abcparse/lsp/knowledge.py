"""What the editor says about ABC: short explanations for hover and completion.

Written for this project in our own words; each names the section of ABC 2.1 that
defines the construct, so a reader can look it up. The vocabularies themselves (which
decorations exist, which shorthand symbols mean what) come from :mod:`abcparse.theory`,
the one place the toolkit keeps them, so completion and the validator cannot disagree.
"""

from __future__ import annotations

from fractions import Fraction

from ..model import Mode
from ..theory import DEFAULT_SYMBOLS, STANDARD_DECORATIONS

# §3: every field letter ABC 2.1 defines, with its name and section.
FIELDS: dict[str, tuple[str, str, str]] = {
    # letter: (name, section, what it is for)
    "A": ("area", "§3.1.5", "where the tune comes from, more precisely than O: (obsolete)"),
    "B": ("book", "§3.1.16", "a book the tune is printed in"),
    "C": ("composer", "§3.1.3", "who wrote the tune"),
    "D": ("discography", "§3.1.16", "a recording of the tune"),
    "F": ("file URL", "§3.1.16", "where this file can be found"),
    "G": ("group", "§3.1.12", "a group of tunes this one belongs to"),
    "H": ("history", "§3.1.13", "the tune's history; may run over several lines"),
    "I": ("instruction", "§3.1.17",
          "an instruction to programs, such as `I:abc-version 2.1` or `I:linebreak $`"),
    "K": ("key", "§3.1.14",
          "the key signature (tonic and mode), optionally a clef; ends the tune header"),
    "L": ("unit note length", "§3.1.7",
          "the length of a note written without a number, such as `1/8`"),
    "M": ("meter", "§3.1.6", "the time signature: `6/8`, `C`, `C|` or `none`"),
    "m": ("macro", "§9", "a macro that the music text is expanded with"),
    "N": ("notes", "§3.1.11", "notes about the tune"),
    "O": ("origin", "§3.1.4", "the tune's geographical origin"),
    "P": ("parts", "§3.1.9",
          "in the header, the order the parts are played in (`P:AABB`); in the body, the"
          " start of a part (`P:A`)"),
    "Q": ("tempo", "§3.1.8", "the tempo: beats of a given length per minute, `1/4=120`"),
    "R": ("rhythm", "§3.1.15", "the kind of tune: reel, jig, hornpipe ..."),
    "r": ("remark", "§3.1.18", "a remark that programs ignore"),
    "S": ("source", "§3.1.16", "where the transcription was collected"),
    "s": ("symbol line", "§4.15", "decorations and chord symbols aligned with the notes above"),
    "T": ("title", "§3.1.2", "the tune's title; a second T: is an alternative title"),
    "U": ("user defined", "§4.16",
          "gives a one-character symbol a decoration: `U:W=!trill!`"),
    "V": ("voice", "§7", "starts or defines a voice of a multi-voice tune"),
    "W": ("words", "§5", "lyrics printed after the tune"),
    "w": ("words", "§5.1", "lyrics aligned syllable by syllable with the notes above"),
    "X": ("reference number", "§3.1.1",
          "the tune's number in the file; it starts the tune and must be unique"),
    "Z": ("transcription", "§3.1.10", "who transcribed the tune, and notes on it"),
}

# §4.14: what each standard decoration asks for.
DECORATIONS: dict[str, str] = {
    "staccato": "play the note short, detached (the `.` shorthand)",
    "trill": "a trill: alternate rapidly with the note above (\"tr\")",
    "trill(": "start of an extended trill (a wavy line)",
    "trill)": "end of an extended trill",
    "lowermordent": "a lower mordent: the note, the one below, the note again",
    "uppermordent": "an upper mordent (pralltriller): the note, the one above, the note",
    "mordent": "the same as !lowermordent!",
    "pralltriller": "the same as !uppermordent!",
    "roll": "a roll: the ornament of Irish music, the note turned with the notes around it",
    "turn": "a turn (gruppetto): the note above, the note, the note below, the note",
    "turnx": "a turn with a line through it",
    "invertedturn": "an inverted turn: starting from the note below",
    "invertedturnx": "an inverted turn with a line through it",
    "arpeggio": "spread the chord: its notes one after another, from the lowest",
    ">": "an accent: play the note louder",
    "accent": "an accent: play the note louder",
    "emphasis": "an accent: play the note louder",
    "fermata": "a fermata (hold): sustain the note longer than written",
    "invertedfermata": "a fermata printed below the staff",
    "tenuto": "hold the note for its full length",
    "0": "fingering: 0 (open string or thumb)",
    "1": "fingering: finger 1",
    "2": "fingering: finger 2",
    "3": "fingering: finger 3",
    "4": "fingering: finger 4",
    "5": "fingering: finger 5",
    "+": "left-hand pizzicato (a plus sign above the note)",
    "plus": "left-hand pizzicato (a plus sign above the note)",
    "snap": "snap pizzicato: pluck so the string snaps on the fingerboard",
    "slide": "slide up into the note",
    "wedge": "a wedge: very short and marked (staccatissimo)",
    "upbow": "play with an up-bow (a V above the note)",
    "downbow": "play with a down-bow",
    "open": "an open string, or a harmonic (a small circle)",
    "thumb": "cello thumb position",
    "breath": "a breath mark after the note",
    "pppp": "dynamics: as soft as possible", "ppp": "dynamics: extremely soft",
    "pp": "dynamics: very soft", "p": "dynamics: soft (piano)",
    "mp": "dynamics: moderately soft", "mf": "dynamics: moderately loud",
    "f": "dynamics: loud (forte)", "ff": "dynamics: very loud",
    "fff": "dynamics: extremely loud", "ffff": "dynamics: as loud as possible",
    "sfz": "dynamics: a sudden strong accent (sforzando)",
    "crescendo(": "start of a crescendo (getting louder)",
    "<(": "start of a crescendo (getting louder)",
    "crescendo)": "end of a crescendo",
    "<)": "end of a crescendo",
    "diminuendo(": "start of a diminuendo (getting softer)",
    ">(": "start of a diminuendo (getting softer)",
    "diminuendo)": "end of a diminuendo",
    ">)": "end of a diminuendo",
    "segno": "the segno sign: where D.S. jumps back to",
    "coda": "the coda sign: where the coda starts",
    "D.S.": "dal segno: go back to the segno sign",
    "D.C.": "da capo: go back to the start",
    "dacoda": "\"Da Coda\": jump to the coda sign",
    "dacapo": "\"Da Capo\": go back to the start",
    "fine": "\"fine\": the end of the piece after a D.C. or D.S.",
    "shortphrase": "a short phrase mark (a tick on the top staff line)",
    "mediumphrase": "a medium phrase mark (down to the middle of the staff)",
    "longphrase": "a long phrase mark (through the whole staff)",
}


MODE_WORDS: dict[str, Mode] = {
    "major": Mode.MAJOR, "ionian": Mode.MAJOR, "minor": Mode.MINOR, "aeolian": Mode.MINOR,
    "mixolydian": Mode.MIXOLYDIAN, "dorian": Mode.DORIAN, "phrygian": Mode.PHRYGIAN,
    "lydian": Mode.LYDIAN, "locrian": Mode.LOCRIAN,
}

_MODE_TEXT = {
    Mode.MAJOR: "major (Ionian): the major scale",
    Mode.MINOR: "minor (Aeolian): the natural minor scale",
    Mode.MIXOLYDIAN: "Mixolydian: major with a flattened seventh",
    Mode.DORIAN: "Dorian: minor with a raised sixth",
    Mode.PHRYGIAN: "Phrygian: minor with a flattened second",
    Mode.LYDIAN: "Lydian: major with a raised fourth",
    Mode.LOCRIAN: "Locrian: a diminished fifth above the tonic",
}

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")


def decoration_names() -> list[str]:
    """Every standard decoration name, in a stable order."""
    return sorted(STANDARD_DECORATIONS)


def decoration_text(name: str) -> str | None:
    """What a standard decoration means, or None for a name ABC 2.1 does not define."""
    return DECORATIONS.get(name)


def decoration_hover(name: str | None, symbol: str, user: str | None = None) -> str:
    """Markdown for a decoration as written (``symbol``) whose name is ``name``;
    ``user`` names the U: field that defined the symbol, when one did."""
    shown = f"`{symbol}`"
    if name is None:
        return (f"**{shown}**: a symbol that no `U:` field defines and that has no default"
                " meaning (§4.16); it is not a decoration here.")
    meaning = decoration_text(name)
    lines = []
    if symbol in (f"!{name}!", f"+{name}+"):
        lines.append(f"**!{name}!**: decoration (§4.14)")
    elif user is not None:
        lines.append(f"**{shown}** = `!{name}!`, defined by `{user}` (§4.16)")
    elif DEFAULT_SYMBOLS.get(symbol) == name:
        lines.append(f"**{shown}**: shorthand for `!{name}!` (§4.14, its default meaning"
                     " until a `U:` field redefines it, §4.16)")
    else:
        lines.append(f"**{shown}** = `!{name}!` (§4.14)")
    if meaning is not None:
        lines.append(meaning[0].upper() + meaning[1:] + ".")
    else:
        lines.append("Not a decoration of ABC 2.1: programs that do not know it ignore it"
                     " (ABC330 reports it unless a `U:` field or `%%deco` defines it).")
    if symbol.startswith("+"):
        lines.append("Written between `+` signs: the ABC 2.0 dialect (§12.1.2).")
    return "\n\n".join(lines)


def field_hover(letter: str) -> str | None:
    """Markdown for a field letter, or None for a letter ABC 2.1 does not define."""
    found = FIELDS.get(letter)
    if found is None:
        return None
    name, section, what = found
    return f"**{letter}:** {name} ({section})\n\n{what[0].upper() + what[1:]}."


def mode_text(mode: Mode) -> str:
    return _MODE_TEXT[mode]


def pitch_name(midi: int | Fraction) -> str:
    """Scientific pitch name of a MIDI number (60 = C4, middle C); a pitch off the
    semitone grid (a microtone) is named by the semitone below and its cents above."""
    from ..music.pitch import split_pitch

    key, cents = split_pitch(midi)
    name = f"{NOTE_NAMES[key % 12]}{key // 12 - 1}"
    return f"{name} +{cents} cents" if cents else name


def length_name(whole: object) -> str:
    """A length as a fraction of a whole note, with its usual name when it has one."""
    from fractions import Fraction

    names = {
        Fraction(2): "a breve", Fraction(1): "a whole note", Fraction(3, 2): "a dotted whole",
        Fraction(1, 2): "a half note", Fraction(3, 4): "a dotted half",
        Fraction(1, 4): "a quarter note", Fraction(3, 8): "a dotted quarter",
        Fraction(1, 8): "an eighth note", Fraction(3, 16): "a dotted eighth",
        Fraction(1, 16): "a sixteenth note", Fraction(3, 32): "a dotted sixteenth",
        Fraction(1, 32): "a thirty-second note",
    }
    if not isinstance(whole, Fraction):
        return str(whole)
    name = names.get(whole)
    return f"{whole} of a whole note ({name})" if name else f"{whole} of a whole note"
