"""The bundled examples load, compile cleanly and say what the seed page says."""

from __future__ import annotations

import pytest
from core_helpers import EXAMPLES, check_timing_rules, fake_measure, texts, tones

from voicecoach.script import load_programme
from voicecoach.script.model import RepsDose
from voicecoach.timeline import compile_programme

PROGRAMMES = sorted(EXAMPLES.glob("*.yaml"))
LIBRARY = sorted((EXAMPLES / "exercises").glob("*.yaml"))


def test_there_are_examples():
    assert EXAMPLES / "hip-stability.yaml" in PROGRAMMES
    assert len(LIBRARY) >= 4


@pytest.mark.parametrize("path", PROGRAMMES, ids=[p.stem for p in PROGRAMMES])
def test_example_programme_loads_and_compiles_without_warnings(path):
    programme = load_programme(path)
    timeline = compile_programme(programme, fake_measure)
    assert timeline.warnings == ()
    check_timing_rules(programme, timeline)
    assert 60 < timeline.duration < 3600
    assert len(timeline.chapters) == len(programme.exercises) + 1 + programme.intro


@pytest.mark.parametrize("path", LIBRARY, ids=[p.stem for p in LIBRARY])
def test_every_library_exercise_is_usable_on_its_own(path, tmp_path):
    script = tmp_path / "one.yaml"
    script.write_text(f"title: One\nexercises:\n  - use: {path.stem}\n", encoding="utf-8")
    programme = load_programme(script, library=EXAMPLES / "exercises")
    (exercise,) = programme.exercises
    assert exercise.library_id == path.stem
    assert exercise.setup and exercise.cues and exercise.reminders and exercise.equipment
    timeline = compile_programme(programme, fake_measure)
    assert timeline.warnings == ()
    check_timing_rules(programme, timeline)


def test_the_seed_exercise_says_what_the_clinic_page_says():
    programme = load_programme(EXAMPLES / "hip-stability.yaml")
    seed = next(e for e in programme.exercises if e.library_id == "hip-exorotation-side-lying")
    assert seed.sides == ("left", "right")
    assert not seed.alternate_sides
    assert isinstance(seed.dose, RepsDose)
    assert seed.dose.tempo.down >= 3  # lower slowly
    assert seed.dose.tempo.down > seed.dose.tempo.up
    assert len(seed.setup) >= 3 and len(seed.cues) >= 2 and len(seed.reminders) >= 3
    assert seed.caution and "pain" in seed.caution.lower()
    assert any("mat" in item for item in seed.equipment)
    assert any("band" in item for item in seed.equipment)

    timeline = compile_programme(programme, fake_measure)
    index = programme.exercises.index(seed)
    said = texts(timeline, exercise=index)
    for line in (*seed.setup, *seed.cues):
        assert line in said
    assert f"Take care: {seed.caution}" in said
    # which side to lie on and which leg works, at the start and at the change of sides
    assert "Lie on your left side; you work your right leg." in said
    assert "Turn over: lie on your right side; you work your left leg." in said
    # the slow lowering is timed: the down tone comes up + hold after each rep's start
    tempo = seed.dose.tempo
    for rep in range(1, seed.dose.reps + 1):
        up, *_, down = tones(timeline, exercise=index, side="left", set=1, rep=rep)
        assert down.tone == "down"
        assert down.start - up.start == pytest.approx(tempo.up + tempo.hold)
    # all the reminders are heard during the session
    assert set(seed.reminders) <= set(said)
