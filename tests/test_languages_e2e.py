"""End to end: German, French and Spanish programmes built with espeak-ng's own voices.

Each programme is built once by a real `voicecoach` process; the tests read the MP3,
its captions and timeline back, and check the speech is that voice saying those lines.
"""

from __future__ import annotations

import json
import re
import subprocess

import numpy as np
import pytest
from audio_helpers import decode, ffprobe, rms_db
from cli_helpers import isolated, run_cli, vtt_cues
from mutagen.id3 import ID3
from test_phrases import ENGLISH, WORDS

from voicecoach.script.model import Voice
from voicecoach.speech.cache import PhraseCache
from voicecoach.speech.registry import get_engine

pytestmark = pytest.mark.e2e

SR = 44100

PROGRAMMES = {
    "de": """\
title: Rücken, Woche 1
language: de
voice: {engine: espeak-ng, name: de, rate: 175}
exercises:
  - name: Brücke
    equipment: [eine Matte]
    setup: [Leg dich auf den Rücken.]
    cues: [Hebe das Becken langsam an.]
    caution: Bei Schmerzen aufhören.
    sides: both
    reps: 2
    tempo: 1.5-0-1
    side_rest: 7s
    countdown: 2
  - name: Brücke halten
    reps: 2
    hold: 7s
    relax: 4s
    countdown: 2
  - name: Unterarmstütz
    work: 7s
    sets: 2
    rest: 12s
    countdown: 2
""",
    "fr": """\
title: Dos, semaine 1
language: fr
voice: {engine: espeak-ng, name: fr, rate: 175}
exercises:
  - name: Pont fessier
    equipment: [un tapis]
    setup: [Allongez-vous sur le dos.]
    cues: [Montez le bassin lentement.]
    caution: Arrêtez en cas de douleur.
    sides: both
    reps: 2
    tempo: 1.5-0-1
    side_rest: 7s
    countdown: 2
  - name: Pont tenu
    reps: 2
    hold: 7s
    relax: 4s
    countdown: 2
  - name: Gainage
    work: 7s
    sets: 2
    rest: 12s
    countdown: 2
""",
    "es": """\
title: Espalda, semana 1
language: es
voice: {engine: espeak-ng, name: es, rate: 175}
exercises:
  - name: Puente
    equipment: [una esterilla]
    setup: [Túmbate boca arriba.]
    cues: [Sube la cadera despacio.]
    caution: Para si te duele.
    sides: both
    reps: 2
    tempo: 1.5-0-1
    side_rest: 7s
    countdown: 2
  - name: Puente mantenido
    reps: 2
    hold: 7s
    relax: 4s
    countdown: 2
  - name: Plancha
    work: 7s
    sets: 2
    rest: 12s
    countdown: 2
""",
}
CHAPTERS = {
    "de": ["Einleitung", "Brücke", "Brücke halten", "Unterarmstütz", "Abschluss"],
    "fr": ["Introduction", "Pont fessier", "Pont tenu", "Gainage", "Fin de séance"],
    "es": ["Introducción", "Puente", "Puente mantenido", "Plancha", "Final"],
}
EXPECTED_LINES = {
    "de": [
        "Übung 1 von 3: Brücke.",
        "Ein Satz, 2 Wiederholungen.",
        "Auf jeder Seite.",
        "Jeweils eineinhalb Sekunden hoch und eine Sekunde zurück.",
        "Wir beginnen mit der linken Seite.",
        "Seitenwechsel. Jetzt mit der rechten Seite.",
        "Ein Satz, 2 Mal 7 Sekunden halten.",
        "Und locker lassen. Das war die erste.",
        "12 Sekunden Pause.",
        "Als Nächstes: der letzte Satz.",
        "Und Stopp.",
    ],
    "fr": [
        "Exercice 1 sur 3 : Pont fessier.",
        "Une série de 2 répétitions.",
        "De chaque côté.",
        "Une seconde et demie pour monter, une seconde pour redescendre.",
        "Commencez par le côté gauche.",
        "Changez de côté. Maintenant, le côté droit.",
        "Une série de 2 maintiens de 7 secondes.",
        "Relâchez. Et d'une.",
        "12 secondes de repos.",
        "Ensuite : la dernière série.",
        "Et stop.",
    ],
    "es": [
        "Ejercicio 1 de 3: Puente.",
        "Una serie de 2 repeticiones.",
        "Por cada lado.",
        "Un segundo y medio para subir y un segundo para bajar.",
        "Empieza por el lado izquierdo.",
        "Cambia de lado. Ahora el lado derecho.",
        "Una serie de 2 repeticiones, aguantando 7 segundos cada vez.",
        "Y suelta. Llevas una.",
        "12 segundos de descanso.",
        "Después: la última serie.",
        "Y para.",
    ],
}


@pytest.fixture(scope="module", params=sorted(PROGRAMMES))
def built(request, tmp_path_factory) -> dict:
    """Build one language's programme; return its files, timeline and decoded audio."""
    code = request.param
    root = tmp_path_factory.mktemp(f"lang-{code}")
    script = root / f"{code}.yaml"
    script.write_text(PROGRAMMES[code], encoding="utf-8")
    result = run_cli("build", str(script), "-o", f"out/{code}.mp3", cache=root / "cache", cwd=root)
    assert result.returncode == 0, result.stderr
    track = root / "out" / f"{code}.mp3"
    timeline = json.loads(track.with_suffix(".timeline.json").read_text(encoding="utf-8"))
    return {
        "code": code,
        "root": root,
        "track": track,
        "timeline": timeline,
        "audio": decode(track),
    }


def best_lag(audio: np.ndarray, clip: np.ndarray, expected: float, search: float) -> float:
    """Offset (s) of CLIP in AUDIO near EXPECTED: cross-correlation through the FFT."""
    lo = round((expected - search) * SR)
    segment = audio[max(0, lo) : lo + round(2 * search * SR) + len(clip)]
    if lo < 0:
        segment = np.concatenate([np.zeros(-lo), segment])
    size = len(segment) + len(clip)
    corr = np.fft.irfft(np.fft.rfft(segment, size) * np.conj(np.fft.rfft(clip, size)), size)
    valid = corr[: len(segment) - len(clip) + 1]
    return (lo + int(np.argmax(valid))) / SR - expected


def spoken(built: dict) -> list[dict]:
    return [e for e in built["timeline"]["events"] if e["kind"] == "speech"]


def test_the_track_lasts_the_timeline_and_has_chapters_in_the_language(built):
    probed = float(ffprobe(built["track"])["format"]["duration"])
    assert abs(probed - built["timeline"]["duration"]) <= 0.050
    assert abs(len(built["audio"]) / SR - built["timeline"]["duration"]) <= 0.050
    chapters = sorted(ID3(built["track"]).getall("CHAP"), key=lambda c: c.start_time)
    assert [str(c.sub_frames["TIT2"]) for c in chapters] == CHAPTERS[built["code"]]


def test_what_is_said_is_the_language_pack(built):
    texts = [e["text"] for e in spoken(built)]
    for line in EXPECTED_LINES[built["code"]]:
        assert line in texts, line
    for text in texts:
        assert not set(WORDS.findall(text.lower())) & ENGLISH, text


def test_captions_are_the_spoken_lines_with_their_accents(built):
    vtt = built["track"].with_suffix(".vtt").read_text(encoding="utf-8")
    cues = vtt_cues(vtt)
    events = spoken(built)
    assert [text for _, _, text in cues] == [e["text"] for e in events]
    assert re.search(r"[äöüßéèàçñáíóú]", vtt)


def test_every_line_is_audible_and_is_that_voice_saying_it(built):
    code, audio = built["code"], built["audio"]
    events = built["timeline"]["events"]
    cache = PhraseCache(get_engine("espeak-ng"), built["root"] / "cache")
    voice = Voice("espeak-ng", code, 175)
    checked = 0
    for event in spoken(built):
        region = audio[round(event["start"] * SR) : round(event["end"] * SR)]
        assert rms_db(region) > -40, event["text"]
        if isolated(events, event, 0.05):
            clip = np.asarray(cache.clip(event["text"], voice).samples, dtype=np.float64)
            lag = best_lag(audio, clip[: SR // 2], event["start"], 0.03)
            assert abs(lag) <= 0.010, (event["text"], lag)
            checked += 1
    assert cache.synthesized == 0, "every phrase of the build should be in the cache"
    assert checked >= 10


@pytest.mark.parametrize("code", ["de", "fr", "es"])
@pytest.mark.parametrize("engine", ["espeak-ng", None])
def test_voices_lists_installed_voices_for_the_language(code, engine, tmp_path):
    args = ["voices", "--language", code] + (["--engine", engine] if engine else [])
    result = run_cli(*args, cache=tmp_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split()[:4] == ["ENGINE", "NAME", "LANGUAGE", "QUALITY"]
    assert rows
    start = header.index("LANGUAGE")
    end = header.index("QUALITY")
    tag = re.compile(rf"^{code}(-[\w-]+)?$")
    for row in rows:
        tags = [t.strip() for t in row[start:end].split(",")]
        assert any(tag.match(t) for t in tags), row


def test_espeak_ng_has_the_voices_the_programmes_use():
    listed = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, check=True)
    languages = {line.split()[1] for line in listed.stdout.splitlines()[1:] if line.split()}
    assert {"de", "es"} <= languages and ({"fr", "fr-fr"} & languages)
