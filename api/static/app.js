// vidseek web page: search moments by text (any language) or image, play them in place.
"use strict";

(() => {
  const KEY_STORAGE = "vidseek.apiKey";
  const KEY_COOKIE = "vidseek_key"; // lets <video>/<img> (which send no headers) reach media
  const PAGE = 24;

  const $ = (id) => document.getElementById(id);
  const els = {
    form: $("search-form"), q: $("q"), image: $("image-input"), perVideo: $("per-video"),
    collapse: $("collapse"),
    results: $("results"), empty: $("empty"), more: $("more"), summary: $("summary"),
    banner: $("banner"), player: $("player"), playerPanel: $("player-panel"),
    playerTitle: $("player-title"), playerRange: $("player-range"), playerClose: $("player-close"),
    keyBtn: $("key-btn"), keyState: $("key-state"), keyPanel: $("key-panel"),
    keyForm: $("key-form"), keyInput: $("key-input"), keyClear: $("key-clear"),
    info: $("library-info"),
  };
  let current = null; // {kind: "text"|"image"|"video", q, file, moment, offset, total}

  // ---- advanced: then, not, filters (the API's field names) --------------------------
  const adv = (id) => document.getElementById(`adv-${id}`);
  const list = (value, sep) => value.split(sep).map((x) => x.trim()).filter(Boolean);
  function advanced(kind) {
    const out = {};
    const num = (id, name) => {
      const v = Number.parseFloat(adv(id).value);
      if (Number.isFinite(v)) out[name] = v;
    };
    const text = (id, name) => { if (adv(id).value.trim()) out[name] = adv(id).value.trim(); };
    num("min-duration", "min_duration"); num("max-duration", "max_duration");
    num("min-height", "min_height"); num("max-height", "max_height");
    text("modified-after", "modified_after"); text("modified-before", "modified_before");
    text("created-after", "created_after"); text("created-before", "created_before");
    const languages = list(adv("language").value, /[,\s]+/);
    if (languages.length) out.language = languages;
    for (const [id, name] of [["speech", "has_speech"], ["subtitles", "has_subtitles"]]) {
      if (adv(id).value) out[name] = adv(id).value === "true";
    }
    if (kind !== "video") {
      const nots = list(adv("not").value, ";");
      if (nots.length) out.not = nots;
    }
    if (kind === "text" && adv("then").value.trim()) {
      out.then = adv("then").value.trim();
      num("gap", "max_gap");
    }
    return out;
  }
  function appendForm(form, fields) {
    for (const [name, value] of Object.entries(fields)) {
      for (const v of Array.isArray(value) ? value : [value]) form.append(name, String(v));
    }
  }
  // Optional ?min_score=0.25 in the page URL: drop weaker moments (kept for shared links).
  const minScoreParam = Number.parseFloat(new URL(location.href).searchParams.get("min_score"));
  const minScore = Number.isFinite(minScoreParam) ? Math.max(-1, Math.min(1, minScoreParam)) : null;

  // ---- API key -------------------------------------------------------------------------
  const getKey = () => localStorage.getItem(KEY_STORAGE) || "";
  function setKey(key) {
    if (key) {
      localStorage.setItem(KEY_STORAGE, key);
      document.cookie = `${KEY_COOKIE}=${encodeURIComponent(key)}; path=/; SameSite=Strict`;
    } else {
      localStorage.removeItem(KEY_STORAGE);
      document.cookie = `${KEY_COOKIE}=; path=/; max-age=0; SameSite=Strict`;
    }
    els.keyState.textContent = key ? "key set" : "API key";
  }
  setKey(getKey()); // refresh the cookie from storage

  // ---- HTTP ----------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }

  async function api(path, options = {}) {
    const headers = new Headers(options.headers || {});
    const key = getKey();
    if (key) headers.set("X-API-Key", key);
    let response;
    try {
      response = await fetch(path, { ...options, headers });
    } catch (err) {
      throw new ApiError(0, "network", "The server cannot be reached. Is `vidseek serve` running?");
    }
    let body = null;
    try { body = await response.json(); } catch { /* not JSON */ }
    if (!response.ok) {
      const err = body && body.error ? body.error : {};
      throw new ApiError(response.status, err.code || "error",
        err.message || `The server answered ${response.status}.`);
    }
    return body;
  }

  // ---- rendering helpers ---------------------------------------------------------------
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const child of children) node.append(child);
    return node;
  }

  function clock(seconds) {
    const s = Math.max(0, seconds);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const ss = sec.toFixed(1).padStart(4, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
  }

  function showBanner(message, kind = "error") {
    els.banner.textContent = message;
    els.banner.className = `banner ${kind}`;
    els.banner.hidden = false;
  }
  const hideBanner = () => { els.banner.hidden = true; };

  function showError(err) {
    if (err.status === 401) {
      showBanner(`${err.message}. Enter the API key (top right).`);
      els.keyPanel.hidden = false;
      els.keyInput.focus();
    } else {
      showBanner(err.message || String(err));
    }
  }

  function setEmpty(message) {
    els.empty.textContent = "";
    if (message) {
      els.empty.append(...message);
      els.empty.hidden = false;
    } else {
      els.empty.hidden = true;
    }
  }

  function card(moment, extra) {
    const range = `${clock(moment.start)} – ${clock(moment.end)}`;
    const pct = Math.round(Math.max(0, Math.min(1, moment.score)) * 100);
    const img = el("img", { src: moment.thumbnail_url, alt: "", loading: "lazy", decoding: "async" });
    img.addEventListener("error", () => img.classList.add("broken"), { once: true });
    const bar = el("span", { class: "score-bar" }, el("span", { class: "score-fill" }));
    bar.firstChild.style.setProperty("width", `${pct}%`);
    const node = el("button", {
      class: "card", type: "button", title: `Play ${moment.title} from ${clock(moment.start)}`,
      dataset: {
        videoId: String(moment.video_id), start: String(moment.start),
        end: String(moment.end), stream: moment.stream_url,
      },
      onclick: (event) => {
        for (const other of els.results.querySelectorAll(".card.active")) other.classList.remove("active");
        event.currentTarget.classList.add("active");
        play(moment);
      },
    },
    el("span", { class: "thumb" }, img, el("span", { class: "badge" }, range)),
    el("span", { class: "card-body" },
      el("span", { class: "title" }, moment.title),
      evidence(moment),
      snippet(moment),
      el("span", { class: "meta" },
        el("span", { class: "score" }, `score ${moment.score.toFixed(3)}`), bar,
        confidence(moment),
        extra ? el("span", { class: "count" }, extra) : ""),
    ));
    return node;
  }

  // How sure the engine is that a text query's moment matches (calibrated, 0-1).
  function confidence(moment) {
    if (moment.confidence == null) return "";
    const level = moment.confidence_level || "low";
    return el("span", {
      class: `confidence conf-${level}`,
      title: `calibrated confidence ${moment.confidence.toFixed(2)}`,
    }, `${level} confidence`);
  }

  // One badge per kind of evidence that found the moment: seen, said, subtitled, written.
  const EVIDENCE = { visual: "seen", speech: "said", subtitle: "subtitle", ocr: "on screen" };
  function evidence(moment) {
    const kinds = moment.matched || ["visual"];
    return el("span", { class: "evidence" },
      ...kinds.map((kind) => el("span", {
        class: `ev ev-${kind}`, title: `matched in ${EVIDENCE[kind] || kind}`,
      }, EVIDENCE[kind] || kind)));
  }

  // The words that matched, with their time (for speech, the first matched word's).
  function snippet(moment) {
    const s = moment.snippet;
    if (!s) return "";
    const lang = s.language ? ` ${s.language}` : "";
    return el("span", { class: "snippet", lang: s.language || "" },
      el("span", { class: "snippet-at" }, `${clock(s.start)}${lang}`),
      el("q", {}, s.text));
  }

  // A card with its "More like this" action (a sibling: a button holds no other button).
  function result(moment, extra) {
    const range = `${clock(moment.start)} – ${clock(moment.end)}`;
    const more = el("button", {
      class: "link-btn more-like", type: "button",
      title: `Moments like ${moment.title} ${range}`,
      onclick: () => moreLike(moment),
    }, "More like this");
    return el("div", { class: "result" }, card(moment, extra), more, copies(moment));
  }

  // The other videos showing this moment (collapse_duplicates), each playable from there.
  function copies(moment) {
    const list = moment.copies || [];
    if (!list.length) return "";
    const items = list.map((copy) => el("li", {},
      el("button", {
        class: "link-btn copy", type: "button",
        title: `Play ${copy.title} from ${clock(copy.start)}`,
        dataset: { videoId: String(copy.video_id), start: String(copy.start) },
        onclick: () => play(copy),
      }, `${copy.title} · ${clock(copy.start)} – ${clock(copy.end)}`)));
    return el("details", { class: "copies" },
      el("summary", {}, `${list.length} cop${list.length === 1 ? "y" : "ies"} of this moment`),
      el("ul", {}, ...items));
  }

  function moreLike(moment) {
    current = { kind: "video", moment, offset: 0 };
    els.q.value = "";
    const url = new URL(location.href);
    url.searchParams.delete("q"); // a reload must not run the previous text search
    history.replaceState(null, "", url);
    runSearch(true);
    window.scrollTo({ top: 0, behavior: "smooth" });
  }

  // ---- playing a moment ----------------------------------------------------------------
  function play(moment) {
    const video = els.player;
    const start = Number(moment.start);
    els.playerPanel.hidden = false;
    els.playerTitle.textContent = moment.title;
    els.playerRange.textContent = `${clock(moment.start)} – ${clock(moment.end)}`;
    video.dataset.start = String(start);
    video.dataset.seeked = "";
    const seek = () => {
      if (Math.abs(video.currentTime - start) > 0.05) video.currentTime = start;
      else video.dataset.seeked = String(video.currentTime);
    };
    video.onloadedmetadata = seek;
    video.onseeked = () => { video.dataset.seeked = String(video.currentTime); };
    video.onerror = () => showBanner("This video cannot be played here (missing file or a format the browser lacks).");
    const src = `${moment.stream_url.split("#")[0]}#t=${start}`;
    if (video.getAttribute("src") === src && video.readyState >= 1) {
      seek();
    } else {
      video.src = src;
    }
    video.play().catch(() => { /* autoplay may be refused; controls still work */ });
    els.playerPanel.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  els.playerClose.addEventListener("click", () => {
    els.player.pause();
    els.player.removeAttribute("src");
    els.player.load();
    els.playerPanel.hidden = true;
  });

  // ---- searching -----------------------------------------------------------------------
  async function runSearch(reset) {
    if (!current) return;
    hideBanner();
    if (reset) {
      current.offset = 0;
      els.results.textContent = "";
      setEmpty(null);
      els.summary.textContent = "Searching…";
    }
    const groupByVideo = els.perVideo.checked;
    const collapse = els.collapse.checked; // copies of a moment shown under one result
    els.more.hidden = true;
    document.body.classList.add("busy");
    try {
      let data;
      if (current.kind === "text") {
        data = await api("/search", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({
            q: current.q, k: PAGE, offset: current.offset,
            group_by: groupByVideo ? "video" : "clip", collapse_duplicates: collapse,
            ...(minScore === null ? {} : { min_score: minScore }),
            ...(current.weaker ? { min_confidence: 0 } : {}),
            ...advanced("text"),
          }),
        });
      } else if (current.kind === "video") {
        const { moment } = current;
        data = await api("/search/video", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({
            video_id: moment.video_id, start: moment.start, end: moment.end,
            k: PAGE, offset: current.offset, group_by: groupByVideo ? "video" : "clip",
            collapse_duplicates: collapse,
            ...(minScore === null ? {} : { min_score: minScore }),
            ...advanced("video"),
          }),
        });
      } else {
        const form = new FormData();
        form.append("image", current.file);
        form.append("k", String(PAGE));
        form.append("offset", String(current.offset));
        form.append("group_by", groupByVideo ? "video" : "clip");
        form.append("collapse_duplicates", String(collapse));
        if (minScore !== null) form.append("min_score", String(minScore));
        if (current.text) form.append("text", current.text);
        appendForm(form, advanced("image"));
        data = await api("/search/image", { method: "POST", body: form });
      }
      render(data);
    } catch (err) {
      els.summary.textContent = "";
      showError(err);
    } finally {
      document.body.classList.remove("busy");
    }
  }

  function render(data) {
    const items = data.group_by === "video" ? data.groups : data.results;
    for (const item of items) {
      if (data.group_by === "video") {
        const best = { ...item.clips[0], title: item.title };
        const extra = `${item.clip_count} clip${item.clip_count === 1 ? "" : "s"}`;
        els.results.append(result(best, extra));
      } else {
        els.results.append(result(item));
      }
    }
    current.offset = data.next_offset ?? data.offset + items.length;
    const shown = els.results.childElementCount;
    const what = describeQuery(current);
    const unit = data.group_by === "video" ? "video" : "moment";
    if (data.library_empty) {
      els.summary.textContent = "";
      setEmpty([el("strong", {}, "The library is empty."), el("br"),
        "Index some videos first: ", el("code", {}, "vidseek index ~/Videos")]);
    } else if (data.no_match) {
      els.summary.textContent = "";
      const { weaker, best_confidence: best } = data.no_match;
      const show = el("button", {
        id: "show-weaker", class: "link-btn", type: "button",
        onclick: () => { current.weaker = true; runSearch(true); },
      }, `Show ${weaker} weaker match${weaker === 1 ? "" : "es"}`);
      setEmpty([el("strong", {}, "No good match "), `${what}.`, el("br"),
        `Nothing found reaches the confidence cut-off (the closest: ${Math.round(best * 100)}%). `,
        show]);
    } else if (data.total === 0) {
      els.summary.textContent = "";
      setEmpty([el("strong", {}, "No results "), `${what}.`, el("br"),
        current.kind === "video" ? "No other video has a moment like it."
          : "Try other words, or another language."]);
    } else {
      els.summary.textContent = `${data.total} ${unit}${data.total === 1 ? "" : "s"} ${what}` +
        (shown < data.total ? ` · showing ${shown}` : "") +
        (current.weaker ? " · weaker matches included" : "");
    }
    els.more.hidden = data.next_offset == null;
  }

  function describeQuery(query) {
    if (query.kind === "text") {
      const then = adv("then").value.trim();
      return then ? `for “${query.q}”, then “${then}”` : `for “${query.q}”`;
    }
    if (query.kind === "image") return query.text ? `for the image + “${query.text}”` : "for the image";
    const { moment } = query;
    return `like ${moment.title} ${clock(moment.start)} – ${clock(moment.end)}`;
  }

  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = els.q.value.trim();
    if (!q) { showBanner("Type what you are looking for.", "info"); return; }
    current = { kind: "text", q, offset: 0 };
    const url = new URL(location.href);
    url.searchParams.set("q", q);
    history.replaceState(null, "", url);
    runSearch(true);
  });

  els.image.addEventListener("change", () => {
    const file = els.image.files && els.image.files[0];
    if (!file) return;
    // words already in the box move the image query (an image of a red circle + "blue")
    current = { kind: "image", file, text: els.q.value.trim() || null, offset: 0 };
    runSearch(true);
    els.image.value = "";
  });

  els.perVideo.addEventListener("change", () => runSearch(true));
  els.collapse.addEventListener("change", () => runSearch(true));
  els.more.addEventListener("click", () => runSearch(false));

  // ---- key panel -----------------------------------------------------------------------
  els.keyBtn.addEventListener("click", () => {
    els.keyPanel.hidden = !els.keyPanel.hidden;
    if (!els.keyPanel.hidden) els.keyInput.focus();
  });
  els.keyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    setKey(els.keyInput.value.trim());
    els.keyInput.value = "";
    els.keyPanel.hidden = true;
    hideBanner();
    loadInfo();
    if (current) runSearch(true);
  });
  els.keyClear.addEventListener("click", () => { setKey(""); els.keyPanel.hidden = true; });

  // ---- library info --------------------------------------------------------------------
  async function loadInfo() {
    try {
      const health = await api("/health");
      els.info.textContent = health.videos
        ? `${health.videos} video${health.videos === 1 ? "" : "s"} indexed · ${health.model}`
        : "library is empty";
      if (!health.videos && !current) {
        setEmpty([el("strong", {}, "The library is empty."), el("br"),
          "Index some videos first: ", el("code", {}, "vidseek index ~/Videos")]);
      }
    } catch (err) {
      els.info.textContent = "server unreachable";
    }
  }

  loadInfo();
  const initial = new URL(location.href).searchParams.get("q");
  if (initial) { els.q.value = initial; els.form.requestSubmit(); }
})();
