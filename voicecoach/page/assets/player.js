"use strict";
(() => {
  const data = JSON.parse(document.getElementById("voicecoach-data").textContent);
  const $ = (id) => document.getElementById(id);
  const audio = $("audio");
  const L = data.labels;
  const KIND = data.kinds;
  const COUNTDOWN = new Set(["countin", "hold", "relax", "work", "rest", "sides"]);
  const STATUS = {
    briefing: "page_briefing", countin: "page_get_ready", hold: "page_hold",
    relax: "page_relax", work: "page_work", rest: "page_rest", sides: "page_sides",
    done: "page_done",
  };
  document.documentElement.classList.add("scripted");
  audio.removeAttribute("controls");

  const say = (key, values, count) => {
    const template = (count === 1 && L[key + "_one"]) || L[key] || "";
    return template.replace(/\{(\w+)(?::[^}]*)?\}/g, (m, k) => (k in (values || {}) ? values[k] : m));
  };
  const clock = (s) => {
    const t = Math.max(0, Math.floor(s));
    const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
    const ss = String(sec).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
  };
  // Index of the last item whose start (item[key]) is <= t. The media clock reports a
  // seek to a chapter's start a few microseconds early, hence the millisecond of slack.
  const SLACK = 1e-3;
  const lastAtOrBefore = (items, t, key) => {
    let lo = 0, hi = items.length - 1, found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid][key] <= t + SLACK) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  };
  const sideName = (side) => (side == null ? "" : data.sides[side] || side);
  const setName = (ex, set) =>
    ex && set != null && ex.sets > 1 ? say("page_set_of", { n: set, total: ex.sets }) : "";

  const set = (el, text) => { if (el.textContent !== text) el.textContent = text; };
  const show = (el, text) => { set(el, text); el.hidden = !text; };

  const chapterButtons = Array.from(document.querySelectorAll(".ex"));
  let shown = { chapter: -1, line: -1 };

  function render(t) {
    const ci = lastAtOrBefore(data.chapters, t, 1);
    const [chapterTitle, chapterStart, chapterEnd, exIndex] = data.chapters[ci];
    const seg = data.segments[lastAtOrBefore(data.segments, t, 0)];
    const [segStart, segEnd, kindIndex, , side, setNo, rep, until] = seg;
    const kind = KIND[kindIndex];
    const ex = exIndex == null ? null : data.exercises[exIndex];
    const total = data.exercises.length;

    set($("exercise-number"), ex ? say("page_exercise_of", { number: exIndex + 1, total }) : chapterTitle);
    set($("exercise-name"), ex ? ex.name : data.title);
    show($("side"), ex ? sideName(side) : "");
    show($("set"), ex ? setName(ex, setNo) : "");

    const picture = $("picture"), image = $("image");
    if (ex && ex.image) {
      if (image.getAttribute("src") !== ex.image) { image.src = ex.image; image.alt = ex.name; }
      picture.hidden = false;
    } else {
      picture.hidden = true;
    }
    document.body.classList.toggle("with-picture", !picture.hidden);

    const stage = $("stage");
    if (stage.dataset.kind !== kind) stage.dataset.kind = kind;
    let status = STATUS[kind] ? say(STATUS[kind]) : chapterTitle;
    let big = "", unit = "", caption = "";
    const left = until == null ? null : Math.max(0, Math.ceil(until - t - SLACK));
    if (kind === "rep") {
      status = "";
      big = String(rep);
      caption = ex.reps ? say("page_rep_of", { n: rep, total: ex.reps }) : "";
    } else if (COUNTDOWN.has(kind)) {
      big = String(left);
      unit = say("page_seconds_left", {}, left);
      if (kind === "hold" || kind === "relax") {
        caption = say("page_hold_of", { n: rep, total: ex.reps });
      } else if (kind === "rest" || kind === "sides") {
        const next = [kind === "sides" ? sideName(side) : "", setName(ex, setNo)].filter(Boolean);
        caption = next.length ? say("page_next_up", { what: next.join(" · ") }) : "";
      }
    } else if (kind === "briefing") {
      caption = ex.dose;
    } else if (kind === "intro" || kind === "outro") {
      status = chapterTitle;
    }
    show($("status"), status);
    show($("big"), big);
    show($("unit"), unit);
    set($("caption"), caption);
    const span = (until == null ? segEnd : until) - segStart;
    const done = span > 0 ? Math.min(1, Math.max(0, (t - segStart) / span)) : 0;
    $("meter").style.width = `${(done * 100).toFixed(1)}%`;

    const li = lastAtOrBefore(data.lines, t, 0);
    const line = data.lines[li];
    if (line && line[0] <= t + SLACK) {
      if (shown.line !== li) { set($("line"), line[2]); shown.line = li; }
      $("line").parentElement.classList.toggle("quiet", t > line[1] + 0.1);
    } else {
      set($("line"), ""); shown.line = -1;
    }

    set($("session-left"), say("page_time_left", { time: clock(data.duration - t) }));
    set($("elapsed"), clock(t));
    set($("remaining"), "-" + clock(data.duration - t));
    set($("exercise-left"), ex ? `${say("page_exercise_time")} · ${say("page_time_left", { time: clock(chapterEnd - t) })}` : "");
    const seek = $("seek");
    if (!dragging) seek.value = t.toFixed(1);

    if (shown.chapter !== ci) {
      shown.chapter = ci;
      chapterButtons.forEach((b, i) => {
        if (i === ci) b.setAttribute("aria-current", "step"); else b.removeAttribute("aria-current");
      });
      updateMediaSession(chapterTitle, ex);
    }
  }

  // --- controls --------------------------------------------------------------------
  let dragging = false;
  const now = () => audio.currentTime || 0;
  function seek(t, play) {
    t = Math.min(Math.max(0, t), data.duration);
    audio.currentTime = t;
    render(t);
    if (play) audio.play().catch(() => {});
  }
  function chapterIndex(t) { return lastAtOrBefore(data.chapters, t, 1); }
  function next() {
    const ci = chapterIndex(now());
    if (ci + 1 < data.chapters.length) seek(data.chapters[ci + 1][1], !audio.paused);
  }
  function previous() {
    const t = now(), ci = chapterIndex(t);
    const target = t - data.chapters[ci][1] > 3 || ci === 0 ? ci : ci - 1;
    seek(data.chapters[target][1], !audio.paused);
  }
  function toggle() { if (audio.paused) audio.play().catch(() => {}); else audio.pause(); }

  $("play").addEventListener("click", toggle);
  $("next").addEventListener("click", next);
  $("previous").addEventListener("click", previous);
  chapterButtons.forEach((button) => {
    button.addEventListener("click", () => {
      seek(parseFloat(button.dataset.start), true);
      window.scrollTo({ top: 0, behavior: "smooth" });
    });
  });
  const seekInput = $("seek");
  seekInput.addEventListener("input", () => { dragging = true; render(parseFloat(seekInput.value)); });
  seekInput.addEventListener("change", () => { dragging = false; seek(parseFloat(seekInput.value)); });
  document.addEventListener("keydown", (event) => {
    if (event.target.closest && event.target.closest("input, button, a")) return;
    if (event.key === " ") { event.preventDefault(); toggle(); }
    else if (event.key === "n") next();
    else if (event.key === "p") previous();
  });

  function playingChanged() {
    const playing = !audio.paused;
    $("play").classList.toggle("playing", playing);
    $("play").setAttribute("aria-label", say(playing ? "page_pause" : "page_play"));
    if ("mediaSession" in navigator) navigator.mediaSession.playbackState = playing ? "playing" : "paused";
    if (playing) { keepAwake(); loop(); } else { letSleep(); }
  }
  audio.addEventListener("play", playingChanged);
  audio.addEventListener("pause", playingChanged);
  audio.addEventListener("ended", playingChanged);
  for (const name of ["timeupdate", "seeked", "loadedmetadata"]) {
    audio.addEventListener(name, () => render(now()));
  }
  function updatePosition() {  // the lock screen's progress bar
    if (!("mediaSession" in navigator) || !navigator.mediaSession.setPositionState) return;
    try {
      navigator.mediaSession.setPositionState({
        duration: data.duration, playbackRate: audio.playbackRate || 1,
        position: Math.min(now(), data.duration),
      });
    } catch (e) { /* not while the duration is unknown */ }
  }
  for (const name of ["seeked", "loadedmetadata", "play", "pause", "ratechange"]) {
    audio.addEventListener(name, updatePosition);
  }
  let frame = 0;
  function loop() {
    cancelAnimationFrame(frame);
    const tick = () => { render(now()); if (!audio.paused) frame = requestAnimationFrame(tick); };
    frame = requestAnimationFrame(tick);
  }

  // --- lock screen and headset (Media Session), screen kept awake (Wake Lock) -------
  function updateMediaSession(chapterTitle, ex) {
    if (!("mediaSession" in navigator) || typeof MediaMetadata === "undefined") return;
    const artwork = ex && ex.image ? [{ src: new URL(ex.image, location.href).href }] : [];
    navigator.mediaSession.metadata = new MediaMetadata({
      title: data.title, artist: ex ? ex.name : chapterTitle, album: data.title, artwork,
    });
  }
  if ("mediaSession" in navigator) {
    const handlers = {
      play: () => audio.play().catch(() => {}),
      pause: () => audio.pause(),
      previoustrack: previous,
      nexttrack: next,
      seekto: (d) => seek(d.seekTime),
      seekbackward: (d) => seek(now() - (d.seekOffset || 10)),
      seekforward: (d) => seek(now() + (d.seekOffset || 10)),
    };
    for (const [action, handler] of Object.entries(handlers)) {
      try { navigator.mediaSession.setActionHandler(action, handler); } catch (e) { /* unsupported */ }
    }
  }
  let wakeLock = null;
  async function keepAwake() {
    if (!("wakeLock" in navigator) || wakeLock || document.visibilityState !== "visible") return;
    try {
      wakeLock = await navigator.wakeLock.request("screen");
      wakeLock.addEventListener("release", () => { wakeLock = null; });
    } catch (e) { wakeLock = null; }
  }
  function letSleep() { if (wakeLock) { wakeLock.release().catch(() => {}); wakeLock = null; } }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !audio.paused) keepAwake();
  });

  // --- #t=SECONDS starts there (the library index links chapters that way) -------
  function fromHash() {
    const match = /^#t=(\d+(?:\.\d+)?)$/.exec(location.hash);
    if (match) seek(parseFloat(match[1]));
  }
  window.addEventListener("hashchange", fromHash);
  render(0);
  fromHash();
  window.voicecoach = { seek, render, next, previous, data };
})();
