"""``abcparse midi`` and ``abcparse play``: tunes → MIDI files → audio.

``abcparse midi IN.abc -o OUT.mid [--tune X]`` writes one type-1 MIDI file per tune;
``abcparse play IN.abc -o OUT.wav [--tune X]`` renders the same through timidity or
fluidsynth. Where the files go (``-o``):

- omitted: next to the input, ``IN.mid`` for one tune, ``IN-<X>.mid`` for each of several;
- a folder (an existing one, or a path ending in ``/``, created if needed): the same
  names in that folder;
- a pattern (its folders are created if needed) with ``{X}`` (the X: number), ``{n}``
  (position in the file, from 1), ``{stem}`` (input name without extension) or
  ``{title}`` (the first T:, made safe for file names): one file per tune, e.g.
  ``-o 'out/{stem}-{X}.mid'``;
- a file name: only when one tune is written (the file holds one, or ``--tune`` chose it).

Two tunes that would get the same name (X: numbers repeat in many tunebooks) get ``-2``,
``-3``... appended in file order. Every file is written atomically (temporary file in the
same folder, fsync, rename). Tunes with syntax errors are still converted (as abc2midi
does), their errors are printed, and the exit code is 1 (errors as ``abc-lint`` grades
them in the tune's mode: what loose reading calls a warning is not one); usage and I/O
errors exit 2. A tune that no MIDI file can hold (more tracks, events or time than the
format allows, see :mod:`abcparse.midi`) is reported with its line and skipped, and the
others are written (exit 1).
"""

from __future__ import annotations

import argparse
import array
import os
import re
import shutil
import string
import subprocess
import sys
import wave
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from ..api import iter_tunes, read_headers
from ..diagnostics import Severity
from ..errors import AbcDecodeError, AbcError, AbcIOError, AbcLimitError, AbcUsageError
from ..events import GRACE_MODES, Performance, perform
from ..fileio import atomic_write_bytes, file_mode_for, new_temp_file, remove_temp_files
from ..limits import MAX_NUMBER_DIGITS, bounded_int
from ..midi import midi_bytes
from ..model import FileHeader, Tune, Tunebook
from ..source import refuse_non_abc
from . import sigterm_held
from .inputs import file_key, files_or_nothing, spool_stdin

#: SoundFonts fluidsynth is tried with, first found wins (``--soundfont`` or the
#: ``ABCPARSE_SOUNDFONT`` environment variable take precedence).
SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/soundfonts/default.sf2",
    "/usr/local/share/soundfonts/default.sf2",
    "/opt/homebrew/share/soundfonts/default.sf2",
)
#: How much sound may follow the last note in a rendered WAV: the synthesizers keep
#: rendering reverb tails for seconds; the file is cut where the sound falls below
#: -60 dBFS, and never later than this after the music ends.
RELEASE_SECONDS = 0.5
_SILENCE = 33  # -60 dBFS of a 16-bit sample
_FADE_SECONDS = 0.02

INSTALL_HINT = (
    "no synthesizer found to render audio: install timidity (Debian/Ubuntu: "
    "`apt install timidity`; macOS: `brew install timidity`) or fluidsynth with a General "
    "MIDI SoundFont (`apt install fluidsynth fluid-soundfont-gm`); `abcparse midi` writes "
    "the MIDI file without one"
)


_OUTPUT_HELP = """\
where files go (-o):
  omitted          next to the input: IN{ext} for one tune, IN-<X>{ext} for several
  out/             that folder (created if needed), same names
  'out/{{X}}{ext}'    a pattern: {{X}} X: number, {{n}} position in the file, {{stem}} input
                   name, {{title}} the title; one file per tune
  OUT{ext}          one file: the input holds one tune, or --tune chose it
Names used twice (repeated X: numbers) get -2, -3 ... Files are written atomically.
Exit status: 0 written, 1 written but the ABC had errors, 2 usage or I/O error."""


def register(subparsers: Any) -> None:
    """Add the ``midi`` and ``play`` subcommands to the ``abcparse`` command."""
    for name, help_text, ext in (
        ("midi", "write tunes as Standard MIDI Files", ".mid"),
        ("play", "render tunes to WAV audio (timidity or fluidsynth)", ".wav"),
    ):
        p = subparsers.add_parser(
            name,
            help=help_text,
            description=help_text + ".",
            epilog=_OUTPUT_HELP.format(ext=ext),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("inputs", nargs="+", metavar="PATH",
                       help="ABC files, folders (*.abc, any case) or - for standard input"
                       " (then -o is needed)")
        p.add_argument(
            "-o", "--output", metavar="OUT",
            help=f"output file (OUT{ext}), folder (out/) or pattern (out/{{stem}}-{{X}}{ext}); "
            "default: next to the input",
        )
        p.add_argument("--tune", metavar="X", type=_tune_number,
                       help="only the tune with this X: number")
        p.add_argument(
            "--grace", choices=GRACE_MODES, default="steal",
            help="grace notes take time from the next note (steal, default) or are left out",
        )
        p.add_argument(
            "--no-repeats", action="store_true",
            help="play every bar once as written (no repeats, endings or P: order)",
        )
        mode = p.add_mutually_exclusive_group()
        mode.add_argument("--strict", action="store_const", const="strict", dest="mode",
                          help="read as strict ABC 2.1")
        mode.add_argument("--loose", action="store_const", const="loose", dest="mode",
                          help="read loosely (ABC 2.0 habits)")
        p.add_argument("-q", "--quiet", action="store_true",
                       help="print errors only (no line per file written, no summary)")
        p.set_defaults(mode="auto", ext=ext)
        if name == "play":
            p.add_argument(
                "--synth", choices=("auto", "timidity", "fluidsynth"), default="auto",
                help="synthesizer to render with (default: the first one installed)",
            )
            p.add_argument("--soundfont", metavar="SF2", type=_soundfont,
                           help="SoundFont for fluidsynth (chooses fluidsynth)")
            p.add_argument(
                "--max-minutes", metavar="M", type=float, default=60.0,
                help="skip (with an error) a tune that would play longer than this: a typo"
                " such as a99999 would otherwise render hours of audio (default 60)",
            )
            p.set_defaults(func=handle_play)
        else:
            p.set_defaults(func=handle_midi)


def _soundfont(value: str) -> str:
    """``--soundfont``: an existing file (a missing one must not be silently ignored)."""
    if not os.path.isfile(value):
        raise argparse.ArgumentTypeError(f"{value[:200]}: no such file")
    return value


def _tune_number(value: str) -> int:
    """``--tune``: an X: number as tunes can have one (see :func:`_reference`)."""
    number = bounded_int(value)
    if number is None:
        raise argparse.ArgumentTypeError(
            f"expected an X: number (up to {MAX_NUMBER_DIGITS} digits), not {value!r:.40}"
        )
    return number


# ---------------------------------------------------------------------------------------
# Choosing tunes and naming outputs


def _reference(tune: Tune) -> int | None:
    """The tune's X: number, or None when it has none or it is not a number of at most
    :data:`~abcparse.limits.MAX_NUMBER_DIGITS` digits. Read here rather than through
    ``Tune.reference``, which raised ``ValueError`` for an X: of more than 4,300 digits
    (Python's limit) or a superscript digit; such an X: is reported as ABC210 anyway."""
    value = tune.header.first("X")
    return None if value is None else bounded_int(value)


@dataclass(frozen=True)
class Job:
    tune: Tune
    index: int  # 1-based position in the file
    path: Path


def _safe(text: str) -> str:
    """A title made safe for a file name: letters, digits, ``-`` and ``_`` only."""
    out = re.sub(r"[^\w-]+", "_", text, flags=re.UNICODE).strip("_")
    return out[:60] or "untitled"


def select(book: Tunebook, number: int | None, source: str) -> list[tuple[int, Tune]]:
    """The tunes to convert, with their positions: all, or those with X: ``number``."""
    tunes = list(enumerate(book.tunes, 1))
    if not tunes:
        raise AbcUsageError(f"{source}: holds no tune (no X: field)")
    if number is None:
        return tunes
    chosen = [(i, t) for i, t in tunes if _reference(t) == number]
    if not chosen:
        refs = sorted({r for _, t in tunes if (r := _reference(t)) is not None})
        shown = ", ".join(map(str, refs[:20])) + (" ..." if len(refs) > 20 else "")
        raise AbcUsageError(f"{source}: no tune X:{number} (X: numbers there: {shown or 'none'})")
    if len(chosen) > 1:
        print(
            f"abcparse: {source}: X:{number} is used by {len(chosen)} tunes; "
            f"writing the first (line {chosen[0][1].span.line})",
            file=sys.stderr,
        )
    return chosen[:1]


def plan(
    tunes: Sequence[tuple[int, Tune]], source: str, output: str | None, ext: str,
    seen: dict[str, int] | None = None,
) -> list[Job]:
    """Where each tune goes (see the module docstring); ``seen`` counts the names given so
    far (shared by the inputs of one run, so two inputs never write the same file)."""
    src = Path(source)
    stem = "stdin" if source == "-" else src.stem
    pattern: str
    if output is None:
        folder = src.parent
        pattern = "{stem}" if len(tunes) == 1 else "{stem}-{X}"
        pattern = str(folder / (pattern + ext))
    elif "{" in output:
        pattern = output
    elif output.endswith(("/", os.sep)) or Path(output).is_dir():
        folder = Path(output)
        pattern = str(folder / (("{stem}" if len(tunes) == 1 else "{stem}-{X}") + ext))
    else:
        if len(tunes) > 1:
            raise AbcUsageError(
                f"{source} holds {len(tunes)} tunes: choose one with --tune X, or give -o a "
                f"folder (out/) or a pattern (out/{{stem}}-{{X}}{ext})"
            )
        pattern = output
    jobs: list[Job] = []
    seen = {} if seen is None else seen
    for index, tune in tunes:
        ref = _reference(tune)
        try:
            name = _fill(pattern, {
                "X": str(ref) if ref is not None else f"n{index}",
                "n": str(index),
                "stem": stem,
                "title": _safe(tune.title or ""),
            })
        except ValueError as e:
            shown = (output or "")[:200]
            raise AbcUsageError(
                f"-o {shown}: bad pattern ({e}); use {{X}}, {{n}}, {{stem}} or {{title}}"
            ) from None
        path = Path(name)
        key = os.path.normcase(os.path.abspath(path))
        if key in seen:
            seen[key] += 1
            path = path.with_name(f"{path.stem}-{seen[key]}{path.suffix}")
        else:
            seen[key] = 1
        jobs.append(Job(tune, index, path))
    return jobs


def _report(source: str, tune: Tune) -> int:
    """Print the tune's errors (file:line:col: code message); how many there were. Errors
    as ``abc-lint`` grades them in the tune's mode (:func:`~abcparse.validate.registry.graded`):
    a finding that is a warning in loose reading (``["Coda"``, an unreadable ``P:``) does
    not make the exit code 1."""
    from ..validate.registry import graded

    errors = [d for d in graded(tune.diagnostics, tune.strict) if d.severity is Severity.ERROR]
    for d in errors:
        print(f"{source}:{d.line}:{d.col}: {d.code} {d.message}", file=sys.stderr)
    return len(errors)


def _read(source: str, mode: str) -> Tunebook:
    """The tunes in ``source`` for choosing and naming (``-`` is standard input:
    ``abcparse generate | abcparse midi - -o out/``, decoded like a file, §2.1): read
    header only (:func:`abcparse.read_headers`, in ``mode`` so they are the tunes of a
    parse); the tunes themselves are read one at a time as they are played
    (:func:`_loaded`), so a big collection is never held whole."""
    headers = read_headers(_input(source), mode=mode)
    return Tunebook(FileHeader(), tuple(Tune(h, (), h.fields, span=h.span) for h in headers),
                    mode=mode)


_STDIN: list[tuple[Any, BinaryIO]] = []  # standard input, copied once: it is read twice


def _input(source: str) -> str | BinaryIO:
    """A path, or standard input's bytes in a temporary file at its start."""
    if source != "-":
        return source
    stdin = sys.stdin.buffer
    if not _STDIN or _STDIN[0][0] is not stdin:
        spool = spool_stdin(stdin)  # lives as long as the command; NothingRead when empty
        if _STDIN:
            _STDIN.pop()[1].close()
        _STDIN.append((stdin, spool))
    copy = _STDIN[0][1]
    copy.seek(0)
    return copy


def _loaded(jobs: Sequence[Job], source: str, mode: str) -> Iterator[Job]:
    """The jobs, in order, each with its tune read in full (a stream over the file)."""
    wanted = {job.index: job for job in jobs}
    for index, tune in enumerate(iter_tunes(_input(source), mode=mode, path=source), 1):
        job = wanted.pop(index, None)
        if job is not None:
            yield replace(job, tune=tune)
        if not wanted:
            return


class _Prepared(NamedTuple):
    """What a run will write: the jobs of each input that can be read, and how many
    inputs could not (each reported in one line; they make the exit code 2)."""

    planned: list[tuple[list[Job], str]]
    bad: int


def _fill(pattern: str, fields: dict[str, str]) -> str:
    """``pattern`` with each ``{name}`` replaced (``{{`` and ``}}`` are braces). Only the
    plain names: no format spec or attribute (``{X:0300}``, ``{X.__class__}``), which
    would build names from what the pattern asks of Python, not from the tune."""
    out: list[str] = []
    for text, name, spec, conversion in string.Formatter().parse(pattern):
        out.append(text)
        if name is None:
            continue
        if spec or conversion or name not in fields:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (
                f":{spec}" if spec else "") + "}"
            raise ValueError(f"{shown[:60]} is not one of the fields")
        out.append(fields[name])
    return "".join(out)


def _prepare(args: argparse.Namespace) -> _Prepared:
    """The jobs of each input (:mod:`.inputs`: files, folders' ABC files, ``-``), every
    output folder checked or created before anything is written. An input that is
    missing or not ABC text is reported in one line and the others are still played
    (docs/cli.md, row 5); no output may be one of the inputs."""
    sources = []
    bad = 0
    for source, error in files_or_nothing(args.inputs):
        if error is not None:
            print(f"{source}: {error}", file=sys.stderr)
            bad += 1
            continue
        sources.append(source)
    if "-" in sources and args.output is None:
        raise AbcUsageError("reading standard input (-): say where to write with -o")
    plain_file = args.output is not None and not (
        "{" in args.output or args.output.endswith(("/", os.sep)) or Path(args.output).is_dir()
    )
    if plain_file and len(sources) > 1:
        raise AbcUsageError(
            f"-o {args.output[:200]}: {len(sources)} input files: give -o a folder (out/) or a"
            f" pattern (out/{{stem}}-{{X}}{args.ext})"
        )
    planned: list[tuple[list[Job], str]] = []
    seen: dict[str, int] = {}
    inputs = {file_key(source) for source in sources if source != "-"}
    for source in sources:
        # A PNG, a zip, UTF-16 or random bytes: bad input, one line (docs/cli.md).
        try:
            refuse_non_abc(_input(source), source)
            book = _read(source, args.mode)
        except (AbcDecodeError, AbcIOError) as e:  # nothing is rewritten: no "left unchanged"
            print(str(e).removesuffix("; left unchanged"), file=sys.stderr)
            bad += 1
            continue
        jobs = plan(select(book, args.tune, source), source, args.output, args.ext, seen)
        for job in jobs:
            if file_key(str(job.path)) in inputs:
                raise AbcUsageError(
                    f"{job.path}: that is an input file, and the {args.ext[1:].upper()} file"
                    " would overwrite it; give -o another name or a folder")
        for job in jobs:
            folder = job.path.parent
            wants_folder = args.output is not None and (
                "{" in args.output or args.output.endswith(("/", os.sep))
            )
            if wants_folder and not folder.exists():
                try:
                    folder.mkdir(parents=True)
                except OSError as e:
                    raise AbcIOError(
                        f"{folder}: cannot create folder: {e.strerror or e}") from None
            if not folder.is_dir():
                raise AbcIOError(f"{job.path}: folder {folder} does not exist")
        planned.append((jobs, source))
    if bad and not planned:
        raise AbcIOError("no input could be read (above)")
    return _Prepared(planned, bad)


def _describe(job: Job, performance: Performance) -> str:
    return f"{_label(job)} -> {job.path} ({performance.end_seconds:.1f} s)"


def _label(job: Job) -> str:
    ref = _reference(job.tune)
    return f"X:{ref}" if ref is not None else f"tune {job.index}"


def _perform(job: Job, args: argparse.Namespace, source: str) -> Performance | None:
    """The tune's performance, or None (reported on standard error) when it cannot be
    played: beyond a documented limit, or a failure inside the player. Either way the
    other tunes of the file are still written; a failure is printed in one line as a bug
    to report, never as a traceback."""
    try:
        return perform(job.tune, grace=args.grace, unroll_repeats=not args.no_repeats)
    except AbcLimitError as e:
        print(f"{source}:{job.tune.span.line}:1: {_label(job)} not written: {e}",
              file=sys.stderr)
    except AbcError:
        raise
    except Exception as e:  # a bug in the player: one line for this tune, the others go on
        print(
            f"{source}:{job.tune.span.line}:1: {_label(job)} not written: the player failed"
            f" ({type(e).__name__}: {str(e)[:200]}); this is a bug in abcparse, please"
            " report it with this tune",
            file=sys.stderr,
        )
    return None


def _midi(job: Job, performance: Performance, source: str) -> bytes | None:
    """The MIDI file's bytes, or None (reported) when no MIDI file can hold the tune."""
    try:
        return midi_bytes(performance)
    except AbcLimitError as e:
        print(f"{source}:{job.tune.span.line}:1: {_label(job)} not written: {e}",
              file=sys.stderr)
        return None


def _summary(args: argparse.Namespace, written: int, errors: int, what: str) -> None:
    """The run's one line on standard error (not with ``-q``)."""
    if args.quiet:
        return
    line = f"wrote {written} {what} file{'s' if written != 1 else ''}"
    if errors:
        line += f"; {errors} error{'s' if errors != 1 else ''} (above)"
    print(line + ".", file=sys.stderr)


def handle_midi(args: argparse.Namespace) -> int:
    """``abcparse midi``: one MIDI file per selected tune."""
    errors = written = 0
    prepared = _prepare(args)
    for jobs, source in prepared.planned:
        for job in _loaded(jobs, source, args.mode):
            errors += _report(source, job.tune)
            performance = _perform(job, args, source)
            data = None if performance is None else _midi(job, performance, source)
            if performance is None or data is None:
                errors += 1
                continue
            atomic_write_bytes(job.path, data)
            written += 1
            if not args.quiet:
                print(_describe(job, performance))
    _summary(args, written, errors, "MIDI")
    return 2 if prepared.bad else 1 if errors else 0


# ---------------------------------------------------------------------------------------
# Audio


def find_synth(choice: str = "auto", soundfont: str | None = None) -> tuple[str, list[str]]:
    """The synthesizer to use and the command prefix that renders ``IN.mid`` to ``OUT.wav``
    (the two paths are appended as ``{in}``/``{out}``). Raises :class:`AbcUsageError`
    naming what to install when none is available."""
    if soundfont and choice == "timidity":
        raise AbcUsageError("--soundfont is for fluidsynth; timidity does not read it")
    if soundfont and not Path(soundfont).is_file():
        raise AbcUsageError(f"--soundfont {soundfont[:200]}: no such file")
    if (choice == "auto" and not soundfont) or choice == "timidity":
        exe = shutil.which("timidity")
        if exe:
            return "timidity", [exe, "-Ow", "-o", "{out}", "{in}"]
        if choice == "timidity":
            raise AbcUsageError("timidity is not installed (Debian/Ubuntu: apt install timidity)")
    exe = shutil.which("fluidsynth")
    if exe:
        fonts = [soundfont, os.environ.get("ABCPARSE_SOUNDFONT"), *SOUNDFONTS]
        font = next((f for f in fonts if f and Path(f).is_file()), None)
        if font is not None:
            return "fluidsynth", [exe, "-ni", "-T", "wav", "-F", "{out}", "-r", "44100",
                                  font, "{in}"]
        if choice == "fluidsynth" or soundfont:
            raise AbcUsageError(
                "fluidsynth needs a SoundFont: give --soundfont FILE.sf2 or install one "
                "(apt install fluid-soundfont-gm)"
            )
    elif choice == "fluidsynth" or soundfont:
        raise AbcUsageError("fluidsynth is not installed (Debian/Ubuntu: apt install fluidsynth)"
                            + ("; --soundfont is read by fluidsynth only" if soundfont else ""))
    raise AbcUsageError(INSTALL_HINT)


def trim_wav(path: Path, music_seconds: float) -> None:
    """Cut the synthesizer's reverb tail: the WAV ends where its sound falls below -60 dBFS,
    at most :data:`RELEASE_SECONDS` after the music, with a short fade against clicks.
    Only 16-bit PCM is touched."""
    with wave.open(str(path), "rb") as w:
        params = w.getparams()
        if params.sampwidth != 2:
            return
        frames = w.readframes(params.nframes)
    rate, channels = params.framerate, params.nchannels
    samples = array.array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    total = len(samples) // channels
    start = min(total, int(music_seconds * rate))
    limit = min(total, int((music_seconds + RELEASE_SECONDS) * rate))
    end = limit
    step = max(1, rate // 100)
    while end > start:
        lo = max(start, end - step)
        chunk = samples[lo * channels : end * channels]
        if chunk and max(max(chunk), -min(chunk)) > _SILENCE:
            break
        end = lo
    fade = min(end - start, int(_FADE_SECONDS * rate)) if end > start else 0
    for f in range(fade):
        gain = (fade - f) / fade
        base = (end - fade + f) * channels
        for c in range(channels):
            samples[base + c] = int(samples[base + c] * gain)
    del samples[end * channels :]
    if sys.byteorder == "big":
        samples.byteswap()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())


def render(performance: Performance, target: Path, synth: list[str], data: bytes) -> None:
    """Render a performance (``data``: its MIDI file) to ``target`` through the
    synthesizer: MIDI and WAV both in temporary files in the target's folder, the WAV
    fsynced and renamed into place."""
    folder = target.parent
    made: list[str] = []  # every temporary file, removed at the end whatever happens
    try:
        mid = new_temp_file(str(folder), target.name, ".mid", made)
        with open(mid, "wb") as f:
            f.write(data)
        wav = new_temp_file(str(folder), target.name, ".wav", made)
        cmd = [mid if a == "{in}" else wav if a == "{out}" else a for a in synth]
        proc: subprocess.Popen[str] | None = None
        try:
            with sigterm_held():  # a synthesizer started is one this function stops
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
            stdout, stderr = proc.communicate(timeout=600)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise AbcIOError(f"{target}: {Path(synth[0]).name} failed: {e}") from None
        finally:
            # Stopped, whatever ended the wait (SIGTERM, Ctrl-C, the timeout), before the
            # temporary files go: a synthesizer left running writes its WAV again.
            if proc is not None and proc.returncode is None:
                proc.kill()
                proc.communicate()
        if proc.returncode != 0 or not os.path.getsize(wav):
            tail = (stderr or stdout).strip().splitlines()[-1:] or ["no output"]
            raise AbcIOError(
                f"{target}: {Path(synth[0]).name} exited with {proc.returncode}: {tail[0]}"
            )
        try:
            trim_wav(Path(wav), performance.end_seconds)
        except (wave.Error, EOFError) as e:
            raise AbcIOError(f"{target}: the synthesizer wrote no readable WAV: {e}") from None
        os.chmod(wav, file_mode_for(str(target)))
        with open(wav, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(wav, target)
    finally:
        remove_temp_files(made)


def handle_play(args: argparse.Namespace) -> int:
    """``abcparse play``: one WAV file per selected tune, or exit 2 without a synthesizer."""
    name, synth = find_synth(args.synth, args.soundfont)
    if not args.max_minutes > 0:
        raise AbcUsageError("--max-minutes must be above 0")
    errors = written = 0
    prepared = _prepare(args)
    for jobs, source in prepared.planned:
        errors, written = _play_source(args, jobs, source, name, synth, errors, written)
    _summary(args, written, errors, "WAV")
    return 2 if prepared.bad else 1 if errors else 0


def _play_source(args: argparse.Namespace, jobs: list[Job], source: str, name: str,
                 synth: list[str], errors: int, written: int) -> tuple[int, int]:
    for job in _loaded(jobs, source, args.mode):
        errors += _report(source, job.tune)
        performance = _perform(job, args, source)
        if performance is None:
            errors += 1
            continue
        minutes = performance.end_seconds / 60
        if not minutes <= args.max_minutes:
            print(f"{source}:{job.tune.span.line}:1: {_label(job)} would play for"
                  f" {minutes:.0f} minutes, more than --max-minutes {args.max_minutes:g};"
                  " not rendered", file=sys.stderr)
            errors += 1
            continue
        data = _midi(job, performance, source)
        if data is None:
            errors += 1
            continue
        render(performance, job.path, synth, data)
        written += 1
        if not args.quiet:
            print(_describe(job, performance) + f" [{name}]")
    return errors, written
