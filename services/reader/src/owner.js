// Your log (`/owner`): reads the owner's list from this reader, writes to the writer. See
// owner_page.rs for why it is built this way.
(() => {
  "use strict";
  const main = document.querySelector("main.owner");
  const status = main.querySelector(".status");
  const settingsForm = document.getElementById("settings");
  const log = document.getElementById("log");
  const KEY = "lately-owner";
  // Each kind's word, as the server wrote it into the add form's choice (MediaKind::label).
  const LABEL = Object.fromEntries(
    Array.from(document.querySelectorAll("#add select[name=kind] option"), (o) => [o.value, o.textContent]),
  );
  // What may be read or listened to (a podcast always is listened to; a film, a show, a game
  // never): the finishes that can say which, as the writer's `listened` allows.
  const HEARD_OR_READ = new Set(["book", "article"]);
  const UNIT = { book: "page", tv: "episode", podcast: "episode" };
  // How far, as an item with nothing counted yet would say it (the field's placeholder).
  const HINT = { podcast: "40% or 45:10/1:20:00", movie: "40% or 45:10/1:20:00", game: "12h played or 40%", tv: "S2E5 or 3/10" };
  // Where a step taken back leaves an item that stood so before it.
  const BACK = {
    queued: "up next again",
    in_progress: "in progress again",
    finished: "finished, as before",
    abandoned: "given up again",
  };

  let settings = {};
  try { settings = JSON.parse(localStorage.getItem(KEY)) || {}; } catch (_) { /* none kept */ }
  const defaultWriter = main.dataset.writer || location.protocol + "//" + location.hostname + ":8081";
  settings.writer = settings.writer || defaultWriter;
  // The notifier, whose outbox says how each finish's tweet went.
  const notifier = (main.dataset.notifier || location.protocol + "//" + location.hostname + ":8089").replace(/\/+$/, "");
  settingsForm.elements.writer.value = settings.writer;
  // The position of this page's latest write: the list is read as of it, so it shows it.
  let position = 0;

  function say(text, bad) {
    status.textContent = text;
    status.classList.toggle("bad", !!bad);
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  const auth = () => (settings.token ? { Authorization: "Bearer " + settings.token } : {});

  // What a refusal says, and for a version conflict the item's version that refused it.
  async function refusal(res) {
    try {
      const p = await res.json();
      if (String(p.type).endsWith("/version-conflict")) {
        return ["It changed meanwhile (on another device?): the list shows it as it is now.", p.current_version];
      }
      return [p.detail || p.title || res.status + " " + res.statusText];
    } catch (_) {
      return [res.status + " " + res.statusText];
    }
  }
  const detail = async (res) => (await refusal(res))[0];

  async function read(path) {
    const url = new URL(path, location.href);
    if (position) url.searchParams.set("min_position", position);
    const res = await fetch(url, { headers: auth(), cache: "no-store" });
    if (!res.ok) throw Object.assign(new Error(await detail(res)), { status: res.status });
    return res.json();
  }

  // A key for one write, kept across its retry: the writer records it once. (Not
  // crypto.randomUUID: that needs https, and a phone on the home network has http.)
  function key() {
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // Sends a write (`r`: method, path, body, and its Idempotency-Key); its answer. One whose
  // request or answer was lost is sent once more with the same key; one that still finds no
  // writer (none answers, or it answers that it cannot write now) throws `unreachable`.
  async function send(r) {
    const url = settings.writer.replace(/\/+$/, "") + r.path;
    const once = async () => {
      const res = await fetch(url, {
        method: r.method,
        headers: Object.assign({ "Content-Type": "application/json", "Idempotency-Key": r.key }, auth()),
        body: JSON.stringify(r.body),
      });
      if ([502, 503, 504].includes(res.status)) throw new TypeError(res.status + " " + res.statusText);
      // An answer cut off half-way is an answer lost: the write may well have been done.
      return [res, res.ok ? await res.json() : null];
    };
    let res, out;
    try {
      [res, out] = await once();
    } catch (_) {
      await new Promise((ok) => setTimeout(ok, 1000));
      try {
        [res, out] = await once();
      } catch (_) {
        throw Object.assign(new Error("the writer at " + settings.writer + " cannot be reached"), { unreachable: true });
      }
    }
    if (!res.ok) {
      const [why, current] = await refusal(res);
      throw Object.assign(new Error(why), { status: res.status, changed: current && { id: itemOf(r.path), version: current } });
    }
    position = Math.max(position, out.position || 0);
    return out;
  }

  // Writes made while the writer cannot be reached (a phone between stations, the home server
  // restarting): kept on this device, in the order they were made, each with its key and the
  // moment it was made (`at`: a finish logged on the train is finished on the train), and
  // sent when they can be. One whose answer was lost on the way back, done already, is sent
  // again with its key and recorded once.
  const KEPT = "lately-owner-kept";
  // The lists as last read, on the device; and whether the page shows them for want of a reader.
  const LISTS = "lately-owner-lists";
  let offline = false;
  let kept = [];
  try { kept = JSON.parse(localStorage.getItem(KEPT)) || []; } catch (_) { /* none kept */ }
  const keptNote = main.querySelector(".kept");
  const titles = {};
  const versions = {};

  // Reads the list again until it shows the item `changed` names at its version (what
  // refused a write: the step another device logged, which this reader may apply a moment
  // after the writer refused), two seconds at most.
  async function caughtUp(changed) {
    for (let tries = 0; ; tries++) {
      await refresh();
      if (!changed || !(versions[changed.id] < changed.version) || tries === 10) return;
      await new Promise((ok) => setTimeout(ok, 200));
    }
  }
  const DOING = {
    "POST ": "adding", "PATCH ": "editing", "DELETE ": "removing", "POST restore": "restoring",
    "POST start": "starting", "DELETE start": "taking back the start of", "POST progress": "logging progress on",
    "POST finish": "finishing", "PATCH finish": "changing the finish of", "DELETE finish": "taking back the finish of",
    "POST abandon": "giving up", "DELETE abandon": "taking back the give-up of",
  };

  function showKept() {
    keptNote.hidden = !kept.length;
    keptNote.querySelector("span").textContent = (kept.length === 1 ? "1 write" : kept.length + " writes") +
      " kept on this device, to be sent when the writer can be reached: " + kept.map((r) => r.what).join("; ") + ".";
  }

  function saveKept() {
    if (kept.length) localStorage.setItem(KEPT, JSON.stringify(kept));
    else localStorage.removeItem(KEPT);
    showKept();
    render();
  }

  // The item a write's path names ("" for an add).
  const itemOf = (path) => decodeURIComponent((/^\/v1\/items\/([^/]+)/.exec(path) || [])[1] || "");

  // Keeps `r` to be sent later; the error that says so, and `why` it was kept.
  function keep(r, why) {
    if (!r.body.at) r.body.at = new Date().toISOString();
    const id = itemOf(r.path);
    r.title = r.body.title || r.title || titles[id] || id;
    const step = (/^\/v1\/items\/[^/]+\/([a-z]+)$/.exec(r.path) || [])[1] || "";
    r.what = (DOING[r.method + " " + step] || r.method.toLowerCase()) + " “" + r.title + "”";
    kept.push(r);
    saveKept();
    return Object.assign(new Error("Kept on this device, " + why + ": " + r.what + ". It is sent once it can be."), { kept: r, why });
  }

  // Not sent after all (its "Undo"): `r`, and what was to follow from it (the finish of the
  // item an add makes).
  function unkeep(r) {
    if (!kept.some((k) => k.key === r.key)) throw new Error(r.what + " was sent meanwhile: take it back from the list.");
    if (flushing && kept[0].key === r.key) throw new Error(r.what + " is being sent: take it back from the list once it is.");
    kept = kept.filter((k) => k.key !== r.key && !k.path.includes("{" + r.key + "}"));
    saveKept();
    return "Not sent after all: " + r.what + ".";
  }

  async function write(method, path, body) {
    const r = { method, path, body: body || {}, key: key() };
    if (kept.length) {
      // Behind writes kept already, kept too: they go in the order they were made.
      const e = keep(r, "behind the writes waiting to be sent");
      flush();
      throw e;
    }
    try {
      return await send(r);
    } catch (e) {
      if (!e.unreachable) throw e;
    }
    throw keep(r, "the writer cannot be reached");
  }

  // Sends what was kept, in order, while the writer answers. One it refuses (an item changed
  // meanwhile on another device) is dropped, saying why; a token it refuses keeps them all.
  let flushing = false;
  let asked = false;
  async function flush(ask) {
    asked = asked || ask === true;
    if (flushing || !kept.length) return;
    flushing = true;
    const sent = [];
    const refused = [];
    let stopped = "";
    try {
      while (kept.length) {
        const r = kept[0];
        try {
          const out = await send(r);
          // The item an add made, named at last in the writes that follow from it.
          for (const k of kept) k.path = k.path.split("{" + r.key + "}").join(encodeURIComponent(out.id));
          sent.push(r.what);
        } catch (e) {
          if (e.unreachable || e.status === 401 || e.status === 403) {
            stopped = e.message;
            break;
          }
          refused.push(r.what + " (" + e.message + ")");
          // What was to follow from it cannot be sent either (the finish of an add refused).
          const after = (k) => k.path.includes("{" + r.key + "}");
          kept.filter(after).forEach((k) => refused.push(k.what + " (not added)"));
          kept = kept.filter((k) => !after(k));
        }
        kept = kept.filter((k) => k.key !== r.key);
        saveKept();
      }
    } finally {
      flushing = false;
    }
    const told = asked;
    asked = false;
    if (refused.length) say("The writer refused what was kept on this device: " + refused.join("; ") + ".", true);
    else if (sent.length) say("Sent what was kept on this device: " + sent.join("; ") + ".");
    else if (told && stopped) say("Still kept: " + stopped + ".", true);
    if (sent.length || refused.length) refresh().catch(() => {});
  }
  keptNote.querySelector("button").addEventListener("click", () => flush(true));
  // Sending what was kept, or reading the list again when it was opened from the device's copy.
  const retry = () => (offline ? open() : flush());
  window.addEventListener("online", retry);
  document.addEventListener("visibilitychange", () => document.hidden || retry());
  setInterval(retry, 15000);
  // Another tab of this page kept or sent some.
  window.addEventListener("storage", (ev) => {
    if (ev.key !== KEPT) return;
    try { kept = JSON.parse(ev.newValue) || []; } catch (_) { kept = []; }
    showKept();
    render();
  });

  // "120/304" is page 120 of 304; "40%" is 40 percent; a bare number is a page of the item's
  // own count when it has one, else a percentage (the first, with nothing logged, is asked
  // about unless the item is an article: a page, an episode, hours or minutes?); "+20" is twenty on from where the page shows
  // it (pages of its count, or points of its percentage), sent with the item's version as
  // "+1 episode" is. In running time, as a player shows it or in letters (an audiobook, a
  // podcast): "1:20:00/4:12:00", "45:10/1:20:00", "5h30m/12h"; then "2:05:00" (where you are)
  // or "+45m" (further on). A game's time alone is its hours played, of however long it
  // takes ("12h", "12h played"; then "14h" or "+2h"). A show's season and episode, as every
  // player says it ("S2E5", "s2 e5", "2x05"; then "+1" or "6", an episode of that season). A
  // string is what is wrong with it. (As the CLI's how_far.rs.)
  function howFar(text, item) {
    const said = text.trim();
    const t = said.replace(/\s+played$/i, "");
    let m;
    // Said "played": time played of no known whole, whatever whole was given before.
    const hours = t !== said && isTime(t) && !t.startsWith("+") ? seconds(t) : null;
    if (hours !== null) return hours > PLAYED_MAX ? "At most 10,000 hours played." : { done: hours, unit: "seconds" };
    const episode = seasonEpisode(t);
    if (episode) {
      if (episode.season > SEASON_MAX) return "A season is at most " + SEASON_MAX + ".";
      if (episode.done > EPISODE_MAX) return "An episode of a season is at most " + EPISODE_MAX + ".";
      return episode;
    }
    // Followed by season: a step or a bare number is an episode of the same season.
    if (isSeasonal(item)) {
      m = /^(\+?)\s*(\d+)$/.exec(t);
      if (m && (!m[1] || +m[2] > 0)) {
        const done = m[1] ? item.progress_done + +m[2] : +m[2];
        if (done > EPISODE_MAX) return "An episode of a season is at most " + EPISODE_MAX + ".";
        return Object.assign({ season: item.progress_season, done }, m[1] ? { expected_version: item.version } : {});
      }
    }
    const timed = item.progress_unit === "seconds" && item.progress_of;
    const played = isPlayed(item);
    m = /^(.+?)\s*\/\s*(.+)$/.exec(t);
    if (m && (isTime(m[1]) || isTime(m[2]))) {
      const [done, of] = [seconds(m[1]), seconds(m[2])];
      if (done === null || of === null || of < 1 || done > of) return "Where you are must be at most how long it runs (1:20:00/4:12:00: 1h 20m of 4h 12m).";
      return { done, of, unit: "seconds" };
    }
    if (isTime(t)) {
      const step = t.startsWith("+");
      const n = seconds(step ? t.slice(1) : t);
      if (n === null || (step && n < 1)) return null;
      // Hours played, of no known whole: on from those played, or from none (a game given
      // a whole goes on in it, as the CLI's).
      const none = item.progress === null || item.progress === undefined;
      if (played || (item.kind === "game" && !timed && (!step || none))) {
        const done = step && played ? item.progress_done + n : n;
        if (done > PLAYED_MAX) return "At most 10,000 hours played.";
        return Object.assign({ done, unit: "seconds" }, step ? { expected_version: item.version } : {});
      }
      // A game runs as long as it takes to play (a guide's "40 hours"), not as a player's clock.
      if (!timed) {
        const [time, ask] = item.kind === "game"
          ? ["hours played", "the hours played (12h), or of how many it takes (12h/40h)"]
          : ["running time", "where you are of how long it runs first (1:20:00/4:12:00)"];
        return "“" + item.title + "” " + (where(item) ? "is at " + where(item) : "has no " + time + " to go by") + ": say " + ask + ".";
      }
      const done = step ? item.progress_done + n : n;
      if (done > item.progress_of) return "“" + item.title + "” is at " + where(item) + ": " + duration(done) + " would be past the end (Finish… once you get there).";
      return { done, of: item.progress_of, unit: "seconds", expected_version: item.version };
    }
    if ((timed || played) && /^\+?\s*\d+$/.test(t)) {
      return "“" + item.title + "” is at " + where(item) + ", in " + (played && item.kind === "game" ? "hours played: say it as a time (14h in all, +2h further on)." : "running time: say it as a time (2:05:00 where you are, +45m further on).");
    }
    m = /^\+\s*(\d+)$/.exec(t);
    if (m && +m[1] > 0) {
      const [n, at] = [+m[1], where(item)];
      const on = item.progress_of
        ? { done: item.progress_done + n, of: item.progress_of }
        : item.progress !== null && item.progress !== undefined ? { percent: item.progress + n } : null;
      if (!on) return "“" + item.title + "” has no progress to go on from: say where you are first (120/304, or 40%).";
      if (on.of ? on.done > on.of : on.percent > 100) {
        return "“" + item.title + "” is at " + at + ": +" + n + " would be past the end (Finish… once you get there).";
      }
      return Object.assign(on, { expected_version: item.version });
    }
    m = /^(\d+)\s*\/\s*(\d+)$/.exec(t);
    if (m) return { done: +m[1], of: +m[2] };
    m = /^(\d+(?:\.\d+)?)\s*%$/.exec(t);
    if (m) return { percent: Math.floor(+m[1]) };
    m = /^\d+$/.exec(t);
    // A book or a show with nothing logged yet: its "45" is page 45 far more often than 45%,
    // and of how many is not known yet: asked, not taken for a percentage.
    const none = item.progress === null || item.progress === undefined;
    if (m && none && (item.kind === "book" || item.kind === "tv")) {
      const unit = UNIT[item.kind];
      const season = item.kind === "tv" ? ", S1E" + t + " for season 1's" : "";
      return "“" + item.title + "”: " + unit + " " + t + " of how many? Say it whole, " + t + "/… (" + t + "/412: " + unit + " " + t + " of 412)" + season + ", or " + t + "% for a percentage.";
    }
    // A game's "20" is as likely 20 hours as 20%, a podcast's or a film's "45" 45 minutes:
    // asked too. (Only an article is followed in percent alone.)
    if (m && none && (item.kind === "game" || item.kind === "podcast" || item.kind === "movie")) {
      const n = +t;
      const say = item.kind === "game" ? n + "h for hours played"
        : n < 60 ? "where you are of how long it runs (" + n + ":00/1:20:00: " + n + "m of 1h 20m)"
        : "where you are of how long it runs (1:20:00/4:12:00)";
      return "“" + item.title + "”: " + n + " what? Say " + say + (n <= 100 ? ", or " + n + "% for a percentage." : ".");
    }
    if (m) return item.progress_of ? { done: +t, of: item.progress_of } : { percent: +t };
    return null;
  }

  // Whether the words are a time ("1:20:00", "45:10", "1h20m", "45m", "+90s"), not a number
  // (nor words: "60 pages" is no time).
  function isTime(t) {
    return /:/.test(t) || /^\+?[\d\shms]*[hms]$/.test(t.trim());
  }
  // A time's seconds, or null: "1:20:00", "45:10" (a player's), "1h 20m", "45m", "90s".
  function seconds(t) {
    t = t.trim();
    let m = /^(?:(\d{1,7}):)?(\d{1,7}):([0-5]\d)$/.exec(t);
    if (m) {
      if (m[1] !== undefined && (m[2].length !== 2 || +m[2] > 59)) return null;
      return (+(m[1] || 0)) * 3600 + (+m[2]) * 60 + (+m[3]);
    }
    m = /^(?:(\d{1,7})\s*h)?\s*(?:(\d{1,7})\s*m)?\s*(?:(\d{1,7})\s*s)?$/.exec(t);
    if (!m || t === "") return null;
    return (+(m[1] || 0)) * 3600 + (+(m[2] || 0)) * 60 + (+(m[3] || 0));
  }
  // "4h 12m", "45m", "1h", "30s" under a minute (lately_domain::duration).
  function duration(s) {
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    if (!h) return m ? m + "m" : s + "s";
    return m ? h + "h " + m + "m" : h + "h";
  }

  // Time spent of no known whole: a game's hours played (Portion::played).
  const PLAYED_MAX = 36000000;
  function isPlayed(item) {
    return item.progress_unit === "seconds" && item.progress_done !== undefined && item.progress_done !== null && !item.progress_of;
  }
  // A show's episode of a season (Portion::episode): "S2E5", "S02E05", "s2 e5", "season 2
  // episode 5", "2x05"; null if the words are not one.
  const SEASON_MAX = 9999, EPISODE_MAX = 99999;
  function seasonEpisode(t) {
    const m = /^s(?:eason)?\s*(\d{1,6})\s*,?\s*e(?:p(?:isode)?)?\s*(\d{1,7})$/i.exec(t) || /^(\d{1,6})x(\d{1,7})$/i.exec(t);
    return m ? { season: +m[1], done: +m[2] } : null;
  }
  function isSeasonal(item) {
    return item.progress_season !== undefined && item.progress_season !== null && item.progress_done !== undefined;
  }
  function where(item) {
    if (isSeasonal(item)) return "S" + item.progress_season + " E" + item.progress_done;
    if (isPlayed(item)) return duration(item.progress_done) + (item.kind === "game" ? " played" : " in");
    if (item.progress_of && item.progress_unit === "seconds") return duration(item.progress_done) + " of " + duration(item.progress_of);
    if (item.progress_of) return [UNIT[item.kind], item.progress_done, "of", item.progress_of].filter((w) => w !== undefined).join(" ");
    if (item.progress) return item.progress + "%";
    return "";
  }

  // Runs `act` with the form's buttons disabled (a double tap is one write), says what
  // happened, and reads the list again. `act` answers what to say, and how to take the write
  // back if it can be (a tap on the wrong item): an "Undo" beside the words; or, with a
  // `label` of its own, what to do next (a question's answer).
  async function acting(form, act) {
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    const offer = (said, undo, label) => {
      say(said);
      if (!undo) return;
      const back = el("button", "undo", label || "Undo");
      back.type = "button";
      // Disabled while it runs, as any write's button: a double tap takes back once.
      back.addEventListener("click", () => acting(status, undo));
      status.append(" ", back);
    };
    try {
      let done;
      try {
        done = [].concat(await act());
      } catch (e) {
        // Kept to be sent later: the list stays as it was (the reader may be out of reach too).
        if (e.kept) return offer(e.message, async () => unkeep(e.kept));
        say(e.message, true);
        // What was refused may be refused for what the page does not show yet (a step logged
        // on another device): the list as it is now, once this reader has that step.
        caughtUp(e.changed).catch(() => {});
        return;
      }
      offer(...done);
      // The list again, with the write; done, it stays said (and undoable) if the list cannot
      // be read (this reader restarting).
      try {
        await refresh();
      } catch (e) {
        status.append(el("span", "", " The list could not be read again (" + e.message + ")."));
      }
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  const path = (item, step) => "/v1/items/" + encodeURIComponent(item.id) + (step ? "/" + step : "");

  // Text as the find box compares it: lower case, without accents ("amelie" finds "Amélie").
  const folding = (text) => text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();

  // An item's cover, as your page shows it (in its kind's shape: an article's picture wide, a
  // podcast's square), or the title's first letter where it has none: the one added from a
  // page's link shows what its picture turned out to be. Beside the title, it says nothing a
  // screen reader should repeat.
  function picture(item) {
    const shape = { article: " wide", podcast: " square" }[item.kind] || "";
    const initial = (item.title.match(/[\p{L}\p{N}]/u) || [""])[0].toUpperCase();
    const blank = () => Object.assign(el("span", "cover" + shape + " blank", initial), { ariaHidden: "true" });
    if (!item.cover_url || !/^https?:\/\//i.test(item.cover_url)) return blank();
    const img = Object.assign(el("img", "cover" + shape), { src: item.cover_url, alt: "", loading: "lazy" });
    // Not there (a link gone stale, the phone offline), or a host's 1×1 placeholder for a
    // cover it does not have: the letter, not a broken or empty picture.
    img.addEventListener("error", () => img.replaceWith(blank()));
    img.addEventListener("load", () => img.naturalWidth < 2 && img.replaceWith(blank()));
    return img;
  }

  // An item's line: its cover, its title, then its kind, makers, whether private and how far,
  // and `more` after those (a finish's stars and day). `unit`: what its read was followed in
  // (a finish's followed_in; else the item's progress_unit): a book followed in running time
  // is an audiobook, as MediaKind::label_in says it.
  function row(item, visibility, more, unit = item.progress_unit) {
    const li = el("li", "h-entry");
    titles[item.id] = item.title;
    if (item.version) versions[item.id] = item.version;
    li.append(picture(item));
    li.dataset.id = item.id;
    li.dataset.find = folding([item.title, ...item.creators, ...item.tags].join(" "));
    const body = el("div");
    body.append(el("span", "title p-name", item.title));
    const meta = [item.kind === "book" && unit === "seconds" ? "Audiobook" : LABEL[item.kind] || item.kind];
    if (item.creators.length) meta.push(item.creators.join(", "));
    if (visibility === "private") meta.push("private");
    // How far, kept on one line (widget.css's .far): a phone broke "page 172 of" from "462".
    const far = where(item);
    if (far) meta.push(el("span", "far", far));
    // What is kept on this device for it, not sent yet: "kept on this device: finishing".
    const waiting = kept.filter((k) => itemOf(k.path) === item.id).map((k) => k.what.replace(/ “.*$/, ""));
    if (waiting.length) meta.push("kept on this device: " + waiting.join(", "));
    const line = el("span", "meta");
    meta.concat(more || []).forEach((part, n) => line.append(...(n ? [" · ", part] : [part])));
    body.append(line);
    li.append(body);
    return [li, body];
  }

  const stars = (r) => "★".repeat(Math.floor(r)) + (r % 1 ? "½" : "");
  // "2nd", "11th", "23rd" (widget.js says a re-read's the same way).
  const ordinal = (n) => n + ([, "st", "nd", "rd"][n % 100 >= 11 && n % 100 <= 13 ? 0 : n % 10] || "th");

  // A rating's choice, `value` chosen: none, or half stars from 5 down.
  function ratingSelect(value) {
    const rating = el("select");
    rating.name = "rating";
    rating.setAttribute("aria-label", "Rating");
    rating.append(Object.assign(el("option", "", "No rating"), { value: "" }));
    for (let r = 5; r >= 0.5; r -= 0.5) {
      rating.append(Object.assign(el("option", "", stars(r)), { value: String(r), selected: r === value }));
    }
    return rating;
  }

  function reviewBox(text) {
    const review = Object.assign(el("textarea"), { name: "review", placeholder: "A few words on it (optional)", value: text || "" });
    review.setAttribute("aria-label", "Review");
    return review;
  }

  function inProgress(item) {
    const [li, body] = row(item, item.visibility);
    const progress = el("form", "progress");
    const at = Object.assign(el("input"), {
      name: "at",
      // A phone's number pad has no "/", "%", ":" nor "+": only for an item counted in pages or
      // episodes, where a bare number (page 200 of its count) is what is typed.
      inputMode: item.progress_of && !item.progress_unit ? "numeric" : "text",
      placeholder: isPlayed(item) || isSeasonal(item) ? "at (" + where(item) + ")"
        : item.progress_unit === "seconds" ? "at (of " + duration(item.progress_of) + ")"
        : item.progress_of ? (UNIT[item.kind] || "at") + " (of " + item.progress_of + ")"
        // A podcast's episode, a film stopped half-way: where the player is, of how long; a
        // game: hours played (of how long it takes, if known); a show: its season and episode,
        // or episodes of a count.
        : HINT[item.kind] || "40% or 120/304",
      // The whole of what it takes, where a pointer shows it (the placeholder is a phone's width).
      title: "A percentage (40%), where you are of how many (120/304) or of how long it runs (1:20:00/4:12:00), a game's hours played (12h), a show's season and episode (S2E5); then a page (200), a time (2:05:00), or how much further (+20, +45m)",
    });
    at.setAttribute("aria-label", "How far");
    progress.append(at, el("button", "", "Log progress"));
    // Logs what `text` says (see howFar), or says what is wrong with it.
    const logProgress = (text) => {
      const to = howFar(text, item);
      if (!to) return say("How far? A percentage (40%), where you are of how many (120/304) or of how long (1:20:00/4:12:00), or how much further (+20, +45m).", true);
      if (typeof to === "string") return say(to, true);
      // Where it was, to go back to: a "+20" tapped for a "+2" is taken back by logging that
      // again (the log has both), with the version this write made, so a step logged
      // meanwhile on another device is a conflict. An item with no progress yet has none.
      const was = item.progress_of
        ? Object.assign({ done: item.progress_done, of: item.progress_of }, item.progress_unit ? { unit: item.progress_unit } : {})
        : isPlayed(item) ? { done: item.progress_done, unit: "seconds" }
        : isSeasonal(item) ? { season: item.progress_season, done: item.progress_done }
        : item.progress !== null && item.progress !== undefined ? { percent: item.progress } : null;
      acting(progress, async () => {
        const wrote = await write("POST", path(item, "progress"), to);
        const now = to.done !== undefined ? where(Object.assign({}, item, { progress_done: to.done, progress_of: to.of, progress_unit: to.unit, progress_season: to.season })) : to.percent + "%";
        return [
          "“" + item.title + "”: " + now + ".",
          was && (async () => {
            await write("POST", path(item, "progress"), Object.assign({ expected_version: wrote.version }, was));
            return "“" + item.title + "”: back at " + (where(item) || "0%") + ".";
          }),
        ];
      });
    };
    // One more episode (of a show, a podcast; a count of anything but a book's pages, which
    // go more than one at a time) in a tap: "+1", with the item's version as any step.
    if (item.kind !== "book" && ((item.progress_of && !item.progress_unit && item.progress_done < item.progress_of) || isSeasonal(item))) {
      const next = el("button", "next", "+1" + (UNIT[item.kind] ? " " + UNIT[item.kind] : ""));
      next.type = "button";
      next.addEventListener("click", () => logProgress("+1"));
      progress.append(next);
    }
    progress.addEventListener("submit", (ev) => {
      ev.preventDefault();
      logProgress(at.value);
    });
    body.append(progress, finishing(item), editing(item));
    return li;
  }

  // Folded, as the others below: a list of five reads in progress is five lines, not fifteen
  // forms.
  function folded(summary, form) {
    const details = el("details");
    details.append(el("summary", "", summary), form);
    return details;
  }

  // Days of this device's calendar from one instant to another (widget.js counts the same).
  const daysBetween = (from, to) => {
    const day = (iso) => { const t = new Date(iso); return Date.UTC(t.getFullYear(), t.getMonth(), t.getDate()); };
    return Math.round((day(to) - day(from)) / 86400000);
  };
  // A day of this device's calendar, as a date input holds it (2026-12-04).
  const localDay = (d) => [d.getFullYear(), d.getMonth() + 1, d.getDate()].map((n) => String(n).padStart(2, "0")).join("-");

  // A date input's day as the time to send: its noon here, as the CLI's `--at` takes a day.
  const noonOf = (day) => {
    const [y, m, d] = day.split("-").map(Number);
    return new Date(y, m - 1, d, 12).toISOString();
  };

  // A day's choice, today unless changed, none after it; `earlier()` is the time to send for
  // a day before today (its noon), or nothing: now.
  function dayInput(label) {
    const today = localDay(new Date());
    const input = Object.assign(el("input"), { type: "date", name: "day", value: today, max: today, required: true });
    input.setAttribute("aria-label", label);
    const wrap = el("label");
    wrap.append("On", input);
    const earlier = () => (!input.value || input.value === localDay(new Date()) ? null : noonOf(input.value));
    return { input, label: wrap, earlier };
  }

  // Finish it with a rating, a review, tweeted or not, today or on a day before (the book
  // finished last night, logged in the morning: that day's noon, as `lately finish --at
  // yesterday`; not before its read began); from up next too (a film from the watchlist,
  // seen tonight: the log has no start for it, as `lately finish` without `--started`). Given
  // up on, while in progress.
  function finishing(item, since) {
    const finish = el("form", "finish");
    const day = dayInput("Finished on");
    since = since || item.started_at;
    if (since) day.input.min = localDay(new Date(since));
    const rating = ratingSelect(null);
    const review = reviewBox("");
    const tweet = Object.assign(el("input"), { type: "checkbox", name: "tweet", checked: true });
    const tweetLabel = el("label");
    tweetLabel.append(tweet, "Tweet it");
    // An audiobook finished without its running time logged (one followed in time says so
    // already; a podcast always is): the feeds and the tweet say "Finished listening to".
    const listened = Object.assign(el("input"), { type: "checkbox", name: "listened" });
    const listenedLabel = el("label");
    listenedLabel.append(listened, "Listened to it");
    const hearable = HEARD_OR_READ.has(item.kind) && item.progress_unit !== "seconds";
    // A private item's finish is tweeted by no one: no box that says it might be.
    finish.append(
      rating,
      day.label,
      ...(hearable ? [listenedLabel] : []),
      ...(item.visibility === "private" ? [] : [tweetLabel]),
      review,
      el("button", "", "Finish"),
    );
    const inProgress = item.status === "in_progress";
    const again = item.status === "finished";
    const giveUp = Object.assign(el("button", "", "Give up"), { value: "abandon" });
    if (inProgress) finish.append(giveUp);
    finish.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (ev.submitter === giveUp) {
        acting(finish, async () => {
          await write("POST", path(item, "abandon"));
          return [
            "Gave up on “" + item.title + "”.",
            async () => {
              await write("DELETE", path(item, "abandon"));
              return "Took back the give-up of “" + item.title + "”: in progress again.";
            },
          ];
        });
        return;
      }
      const done = { tweet: tweet.checked };
      if (hearable && listened.checked) done.listened = true;
      if (rating.value) done.rating = +rating.value;
      if (review.value.trim()) done.review = review.value.trim();
      const at = day.earlier();
      if (at) done.at = at;
      acting(finish, async () => {
        await write("POST", path(item, "finish"), done);
        return [
          (done.listened ? "Finished listening to “" : "Finished “") + item.title + "”" + (again ? " again" : "") + (at ? " on " + day.input.value : "") + (done.tweet ? "." : ", not tweeted."),
          async () => {
            await write("DELETE", path(item, "finish"));
            return "Took back the finish of “" + item.title + "”: " + BACK[item.status] + ".";
          },
        ];
      });
    });
    return folded("Finish…", finish);
  }

  const names = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);

  // A cover as the forms take it: a picture's link as it is (the writer says what is wrong
  // with one), or a book's ISBN, the number on its back (10 or 13 digits, hyphens and spaces
  // aside), as its cover on Open Library, as `lately add --cover` takes one. Digits that are
  // no ISBN (one mistyped: the check digit disagrees) throw what is wrong with them.
  function coverOf(text) {
    const isbn = isbnOf(text);
    // With default=false, a cover Open Library does not have is a 404 (the letter), not a 1×1 blank.
    return isbn ? "https://covers.openlibrary.org/b/isbn/" + isbn + "-M.jpg?default=false" : text.trim();
  }

  // The ISBN `text` is (compact, as `isbn.rs` reads one), or "" for text that is not digits;
  // digits that are no ISBN throw what is wrong with them.
  function isbnOf(text) {
    const t = text.trim();
    const isbn = t.replace(/[\s-]/g, "").toUpperCase();
    if (!/^[\dX]+$/.test(isbn)) return "";
    const no = (why) => new Error("“" + t + "” is not an ISBN: " + why);
    if (isbn.length !== 10 && isbn.length !== 13) throw no("an ISBN has 10 or 13 digits, this has " + isbn.length);
    if (/X./.test(isbn) || (isbn.length === 13 && isbn.endsWith("X"))) throw no("an X may only be the last of ten digits");
    const body = [...isbn.slice(0, -1)].map(Number);
    // ISBN-13: weights 1, 3, 1, 3, …, to a multiple of 10; ISBN-10: 10 down to 2, to one of 11 (X for ten).
    const check = isbn.length === 13
      ? String((10 - (body.reduce((s, d, i) => s + d * (i % 2 ? 3 : 1), 0) % 10)) % 10)
      : ((c) => (c === 10 ? "X" : String(c)))((11 - (body.reduce((s, d, i) => s + d * (10 - i), 0) % 11)) % 11);
    if (!isbn.endsWith(check)) {
      throw no("its check digit is " + isbn.slice(-1) + ", where the digits before it make " + check + " (a digit mistyped?)");
    }
    return isbn;
  }

  // Its fields put right (a title mistyped on the bus, the wrong kind, made private), only
  // what changed, sent with the item's version: an edit made meanwhile on another device is
  // a conflict, not overwritten. Or removed from the lists (not going to read it after all),
  // with an "Undo" that restores it where it stood.
  function editing(item) {
    const form = el("form", "edit");
    const kind = document.querySelector("#add select[name=kind]").cloneNode(true);
    kind.value = item.kind;
    const field = (name, value, label) => {
      const input = Object.assign(el("input"), { name, value, placeholder: label });
      input.setAttribute("aria-label", label);
      return input;
    };
    const title = Object.assign(field("title", item.title, "Title"), { required: true, maxLength: 300 });
    const by = field("by", item.creators.join(", "), "By (comma-separated)");
    const tags = field("tags", item.tags.join(", "), "Tags (comma-separated)");
    const link = Object.assign(field("url", item.url || "", "Link to its page"), { type: "url" });
    const cover = field("cover", item.cover_url || "", "Cover: a picture's link or ISBN");
    const secret = Object.assign(el("input"), { type: "checkbox", name: "private", checked: item.visibility === "private" });
    const secretLabel = el("label");
    secretLabel.append(secret, "Private");
    const remove = Object.assign(el("button", "", "Remove"), { value: "remove" });
    form.append(kind, title, by, tags, link, cover, secretLabel, el("button", "", "Save"), remove);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (ev.submitter === remove) {
        acting(form, async () => {
          await write("DELETE", path(item), { expected_version: item.version });
          return [
            "Removed “" + item.title + "”.",
            async () => {
              await write("POST", path(item, "restore"));
              return "Brought back “" + item.title + "”.";
            },
          ];
        });
        return;
      }
      let now;
      try {
        now = {
          kind: kind.value,
          title: title.value.trim(),
          creators: names(by.value),
          tags: names(tags.value),
          // Emptied, a link or a cover is cleared (`null`).
          url: link.value.trim() || null,
          cover_url: cover.value.trim() ? coverOf(cover.value) : null,
          visibility: secret.checked ? "private" : "public",
        };
      } catch (e) {
        return say(e.message, true);
      }
      const was = {
        kind: item.kind,
        title: item.title,
        creators: item.creators,
        tags: item.tags,
        url: item.url || null,
        cover_url: item.cover_url || null,
        visibility: item.visibility,
      };
      const changes = {};
      for (const k of Object.keys(now)) {
        if (JSON.stringify(now[k]) !== JSON.stringify(was[k])) changes[k] = now[k];
      }
      if (!Object.keys(changes).length) return say("Nothing changed.");
      acting(form, async () => {
        await write("PATCH", path(item), Object.assign(changes, { expected_version: item.version }));
        return "Saved “" + now.title + "”" + (changes.visibility === "private" ? " (private now: its tweets are deleted)." : ".");
      });
    });
    return folded("Edit…", form);
  }

  // Started today in a tap, or on a day before (begun on Saturday, logged on Monday: that
  // day's noon, as `lately start --at`), not before `since`; its "Undo" puts it back where it
  // stands now.
  function starting(item, since) {
    const start = el("form", "start");
    const day = dayInput("Started on");
    if (since) day.input.min = localDay(new Date(since));
    start.append(el("button", "", "Start"), day.label);
    start.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const at = day.earlier();
      acting(start, async () => {
        await write("POST", path(item, "start"), at ? { at } : {});
        return [
          "Started “" + item.title + "”" + (item.status === "finished" ? " again" : "") + (at ? " on " + day.input.value : "") + ".",
          async () => {
            await write("DELETE", path(item, "start"));
            return "Took back the start of “" + item.title + "”: " + BACK[item.status] + ".";
          },
        ];
      });
    });
    return start;
  }

  function upNext(item) {
    const [li, body] = row(item, item.visibility);
    body.append(starting(item), finishing(item), editing(item));
    return li;
  }

  // A finished item gone through again: begun again (a re-read, a rewatch, as `lately
  // start`), or finished again when logged after the fact (`lately finish --again`); neither
  // before the finish it follows.
  const AGAIN = { book: "Read", article: "Read", movie: "Watch", tv: "Watch", game: "Play", podcast: "Listen to" };
  function again(entry) {
    // The feed's entry has the item's visibility beside it: no "Tweet it" for a private one.
    const item = Object.assign({}, entry.item, { visibility: entry.visibility });
    const box = el("div", "again");
    box.append(starting(item, entry.finished_at), finishing(item, entry.finished_at));
    return folded((AGAIN[item.kind] || "Go through") + " it again…", box);
  }

  // Given up on, some day: taken up again as the same read (begun when it was, as far as it
  // was), or started over as a new one.
  function givenUp(item) {
    const [li, body] = row(item, item.visibility);
    const form = el("form", "take-up");
    const over = Object.assign(el("button", "", "Start over"), { value: "start" });
    form.append(el("button", "", "Take it up again"), over);
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (ev.submitter === over) {
        acting(form, async () => {
          await write("POST", path(item, "start"));
          return [
            "Started “" + item.title + "” over.",
            async () => {
              await write("DELETE", path(item, "start"));
              return "Took back the start of “" + item.title + "”: " + BACK[item.status] + ".";
            },
          ];
        });
        return;
      }
      acting(form, async () => {
        await write("DELETE", path(item, "abandon"));
        const far = where(item);
        return [
          "Took up “" + item.title + "” again" + (far ? ", at " + far : "") + ".",
          async () => {
            await write("POST", path(item, "abandon"));
            return "Gave up on “" + item.title + "” again.";
          },
        ];
      });
    });
    body.append(form, editing(item));
    return li;
  }

  // A finish of the owner's feed; the item's latest can be changed (a review written the day
  // after, a second thought on the rating, the day it happened: logged the morning after), as
  // `lately revise` does. The writer refuses to move a finish that is no longer the item's
  // last change of status, or before its read began; the page says why.
  // The item whose finish's "Change…" the list opens next, its rating focused.
  let rateNext = null;
  function finished(entry, latest) {
    const when = new Date(entry.finished_at).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
    // A re-read's "2nd time", as your page says it.
    const nth = entry.finish_number > 1 ? [ordinal(entry.finish_number) + " time"] : [];
    // How long its read took, in this device's days (none for one begun the day it ended, or
    // never started), and a game's hours played, as your page and the widget say them, each
    // kept on one line ("22h 30m" was broken from "played").
    const took = entry.started_at ? daysBetween(entry.started_at, entry.finished_at) : 0;
    const spent = (took > 0 ? ["took " + took + (took === 1 ? " day" : " days")] : [])
      .concat(entry.time_played !== undefined ? [duration(entry.time_played) + " played"] : [])
      .map((text) => el("span", "far", text));
    const more = (entry.rating ? [stars(entry.rating)] : []).concat(nth, [when], spent);
    const [li, body] = row(entry.item, entry.visibility, more, entry.followed_in);
    if (entry.review) body.append(el("p", "review", entry.review));
    const tweet = el("p", "tweet");
    Object.assign(tweet.dataset, { position: entry.position, title: entry.item.title, visibility: entry.visibility });
    body.append(tweet);
    tweetSays(tweet);
    if (!latest) return li;
    const revise = el("form", "revise");
    const rating = ratingSelect(entry.rating);
    const review = reviewBox(entry.review);
    const day = dayInput("Finished on");
    const was = localDay(new Date(entry.finished_at));
    day.input.value = was;
    // A finish logged a little ahead (another zone's today) is still in the form's range.
    if (was > day.input.max) day.input.max = was;
    if (entry.started_at) day.input.min = localDay(new Date(entry.started_at));
    // Heard or read, said afterwards: a book or an article whose finish says it, or that was
    // not followed in running time (one followed so was listened to whatever the box says).
    const heard = Object.assign(el("input"), { type: "checkbox", name: "listened", checked: !!entry.listened });
    const heardLabel = el("label");
    heardLabel.append(heard, "Listened to it");
    const hearable = HEARD_OR_READ.has(entry.item.kind) && (entry.listened || entry.followed_in !== "seconds");
    revise.append(rating, day.label, ...(hearable ? [heardLabel] : []), review, el("button", "", "Save"));
    revise.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const changed = { rating: rating.value ? +rating.value : null, review: review.value.trim() || null };
      const moved = day.input.value !== was;
      if (moved) changed.finished_at = noonOf(day.input.value);
      if (hearable && heard.checked !== !!entry.listened) changed.listened = heard.checked;
      const said = { true: ", listened to", false: ", read" }[changed.listened] || "";
      acting(revise, async () => {
        await write("PATCH", path(entry.item, "finish"), changed);
        return "Saved “" + entry.item.title + "”" + (moved ? ", finished on " + day.input.value : "") + said + ".";
      });
    });
    body.append(folded("Change…", revise));
    // Just added finished ("Add, finished"): its rating, a tap away.
    if (entry.item.id === rateNext) {
      rateNext = null;
      revise.parentElement.open = true;
      setTimeout(() => rating.focus());
    }
    if (entry.item.status === "finished") body.append(again(entry));
    return li;
  }

  // How each finish's tweet went, by the finish's position, from the notifier's outbox (the
  // owner's, with the token: the entries of the finishes shown, however far apart an import
  // logged them), and until when X's rate limit holds them back. Nothing is said
  // of tweets where the notifier cannot be read (not published, an older one): the list is
  // the page's work, the tweets an aside.
  let tweets = new Map();
  // Until when X's rate limit holds posting, and deleting, back, as the outbox's page last
  // said.
  let postingHeld = null;
  let deletingHeld = null;
  let tweetsAgain = 0;
  const ON_ITS_WAY = ["pending", "posting", "deleting"];
  async function tweeting(wait = 2000) {
    clearTimeout(tweetsAgain);
    const shown = [...document.querySelectorAll("#finished .tweet")].map((p) => +p.dataset.position).slice(0, 1000);
    if (!shown.length) return;
    // Read again after `ms`, the finishes' lines left as they were till then. One timer at a
    // time: a read made meanwhile (a write's) may have set one while this one was out.
    const readIn = (ms, next) => {
      clearTimeout(tweetsAgain);
      tweetsAgain = setTimeout(() => tweeting(next), ms);
    };
    const later = () => wait <= 32000 && readIn(wait, wait * 2);
    let page;
    try {
      const res = await fetch(notifier + "/v1/outbox?positions=" + shown.join(","), { headers: auth(), cache: "no-store" });
      // The notifier restarting, or its database slow (a 5xx): again later. Refused (no
      // token, a notifier given none): not.
      if (!res.ok) {
        if (res.status >= 500) later();
        return;
      }
      page = await res.json();
    } catch (_) {
      // Not reached: restarting, or not published where this page looks for it.
      later();
      return;
    }
    tweets = new Map(page.entries.map((t) => [t.finish_position, t]));
    const { auth_failed: refused, paused_until: heldUntil, deletions_paused_until: deletionsHeld } = page;
    postingHeld = heldUntil;
    deletingHeld = deletionsHeld;
    // In place, not the whole list again: a review being typed in a "Change…" stays.
    document.querySelectorAll("#finished .tweet").forEach(tweetSays);
    // What holds them all back, above the list: refused credentials, or X's rate limit on
    // posts, or on deletions while a shown finish's tweet waits to be deleted (made private).
    const when = (t) => new Date(t).toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" });
    const deleting = shown.some((p) => (tweets.get(p) || {}).status === "deleting");
    const holds = refused
      ? ["X refused the notifier's credentials: nothing is tweeted until it is restarted with working ones (" + refused + ")."]
      : [
          heldUntil && "X's rate limit holds your tweets back until " + when(heldUntil) + ": they go out then.",
          deletionsHeld && deleting && "X's rate limit holds deleting your tweets back until " + when(deletionsHeld) + ": they are deleted then.",
        ].filter(Boolean);
    const hold = log.querySelector(".hold");
    hold.hidden = !holds.length;
    hold.textContent = holds.join(" ");
    // A tweet on its way (the notifier's grace delay, a post, a deletion): read again when
    // the first of them can have moved on (its due time, or the end of X's hold on posting,
    // or on deleting, if later), at least 5 s and at most a minute on. A tweet X holds back
    // for hours is not asked after every 5 s all that time (a page left open on a phone);
    // one retried elsewhere (the CLI), or a clock apart from the notifier's, shows within a
    // minute, as does a notifier restarted with working credentials. A finish the notifier
    // has not taken in yet (one this page just wrote, or written while the notifier restarts
    // or catches up): again after 2 s, then 4, 8, 16 and 32, a minute in all, and no more
    // (one from before the notifier's time never will be).
    const onItsWay = shown.map((p) => tweets.get(p)).filter((t) => t && ON_ITS_WAY.includes(t.status));
    // X refusing the credentials: nothing moves until the notifier restarts.
    const next = refused ? Infinity : Math.min(...onItsWay.map(movesOnAt));
    if (onItsWay.length) readIn(Math.min(Math.max(next - Date.now() + 1000, 5000), 60000));
    else if (shown.some((p) => !tweets.has(p))) later();
  }

  // When a tweet on its way can move on, in ms since the epoch: a post as it is being made,
  // at once; a pending tweet at its due time or the end of X's hold on posting, whichever is
  // later (when its line says it goes out); a deletion likewise with the hold on deleting.
  function movesOnAt(t) {
    if (t.status === "posting") return 0;
    const ms = (at) => (at ? Date.parse(at) : 0);
    return Math.max(ms(t.due_at), ms(t.status === "deleting" ? deletingHeld : postingHeld));
  }

  // A finish's line about its tweet (`p`, with the finish's position, title and visibility).
  function tweetSays(p) {
    const t = tweets.get(+p.dataset.position);
    p.replaceChildren();
    p.className = "tweet";
    p.hidden = !t;
    p.title = "";
    if (!t) return;
    const open = p.dataset.visibility === "public";
    switch (t.status) {
      case "posted":
        p.append("Tweeted");
        // A tweet recorded from X's "duplicate" answer has no id to link to.
        if (t.tweet_id) p.append(" · ", Object.assign(el("a", "", "see it on X"), { href: "https://x.com/i/web/status/" + encodeURIComponent(t.tweet_id) }));
        break;
      case "pending": {
        // Waiting on X (its reason says for what, and until when); or on nothing of its own,
        // going out after the grace delay and X's hold on posting, if any (the day's last post
        // said none is left: no tweet was refused); or due and not out yet (the notifier
        // catching up, or down).
        const at = new Date(movesOnAt(t));
        const today = at.toDateString() === new Date().toDateString();
        if (t.attempts) p.append("Tweet waiting: " + t.reason);
        else if (at > new Date()) p.append("Tweet goes out at " + at.toLocaleString(undefined, { weekday: today ? undefined : "short", hour: "2-digit", minute: "2-digit" }));
        else p.append("Tweet due, not out yet");
        break;
      }
      case "posting":
        p.append("Tweeting…");
        break;
      case "failed":
        p.classList.add("bad");
        p.append("Not tweeted: " + t.reason);
        if (open) p.append(tweetAgain(t, p, "Try again"));
        break;
      case "dry_run":
        p.append("Not tweeted: " + t.reason);
        break;
      case "skipped":
        // Not to be tweeted (unticked, an import, too old, a kind not tweeted, private when
        // due): quietly, the reason on a hover, and a tap to tweet it after all.
        p.append("Not tweeted");
        p.title = t.reason || "";
        if (open) p.append(tweetAgain(t, p, "Tweet it"));
        break;
      case "deleting":
        // Why, on a hover: made private, removed, or X holding deletions back.
        p.append("Deleting its tweet…");
        p.title = t.reason || "";
        break;
      case "deleted":
        p.append("Its tweet was deleted");
        p.title = t.reason || "";
        if (open) p.append(tweetAgain(t, p, "Tweet it again"));
        break;
    }
  }

  // The owner's retry of a tweet (`POST /v1/outbox/{position}/retry`): pending again, and
  // posted when due; the notifier refuses what would tweet twice, and the page says why.
  function tweetAgain(t, p, label) {
    const b = el("button", "", label);
    b.type = "button";
    b.addEventListener("click", async () => {
      b.disabled = true;
      try {
        const res = await fetch(notifier + "/v1/outbox/" + t.finish_position + "/retry", { method: "POST", headers: auth() });
        if (!res.ok) throw new Error(await detail(res));
        say("“" + p.dataset.title + "” will be tweeted.");
        await tweeting();
      } catch (e) {
        say("Not tweeted: " + (e instanceof TypeError ? "the notifier cannot be reached (" + notifier + ")." : e.message), true);
        b.disabled = false;
      }
    });
    return b;
  }

  // Every page of the owner's list with `filters` ("status=queued", "kind=book").
  async function all(filters) {
    let items = [];
    let cursor = "";
    do {
      const page = await read("v1/owner/items?" + filters + "&limit=100" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
      items = items.concat(page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  }

  // Up next and given up can hold hundreds (an import's to-read shelf, its DNFs): the first
  // FEW of each show, and a button the rest ("All 312 up next"), so the finishes below are a
  // short scroll away; the find box looks through every line.
  const FEW = 10;
  const whole = new Set(); // the lists shown whole, by id

  function show(list, items, render, none, all) {
    list.replaceChildren(...(items.length ? items.map(render) : [el("li", "empty", none)]));
    if (!all) return;
    [...list.children].forEach((li, i) => (li.dataset.beyond = i >= FEW ? "1" : ""));
    log.querySelector("button.all[data-list=" + list.id + "]").textContent = "All " + items.length + " " + all;
  }

  log.querySelectorAll("button.all").forEach((b) =>
    b.addEventListener("click", () => {
      whole.add(b.dataset.list);
      finding();
    }),
  );

  // The latest `shown` finishes (ten, and ten more a tap on "Older finishes": a review for
  // a book finished weeks ago), and whether there are more: one past them is read to know.
  let shown = 10;
  async function finishes() {
    let entries = [];
    let cursor = "";
    do {
      const limit = Math.min(100, shown + 1 - entries.length);
      const page = await read("v1/owner/feed?limit=" + limit + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
      entries = entries.concat(page.items);
      cursor = page.next_cursor;
    } while (cursor && entries.length <= shown);
    return [entries.slice(0, shown), entries.length > shown];
  }

  const older = document.getElementById("older");
  older.addEventListener("click", async () => {
    older.disabled = true;
    shown += 10;
    try {
      await refresh();
    } catch (e) {
      say(e.message, true);
    } finally {
      older.disabled = false;
    }
  });

  // Three hundred books up next are found by a word or two of the title, a maker or a tag:
  // the lines without every word typed are hidden, in every list.
  const find = document.getElementById("find");
  function finding() {
    const words = folding(find.value).split(/\s+/).filter(Boolean);
    log.querySelectorAll("li[data-find]").forEach((li) => {
      li.hidden = words.length
        ? !words.every((w) => li.dataset.find.includes(w))
        : !!li.dataset.beyond && !whole.has(li.parentElement.id);
    });
    // A list's button while some of it is hidden for its length alone.
    log.querySelectorAll("button.all").forEach((b) => {
      b.hidden = !!words.length || whole.has(b.dataset.list) || !document.querySelector("#" + b.dataset.list + " li[data-beyond='1']");
    });
  }
  find.addEventListener("input", finding);

  // The lists as last read, shown again (`render`) when what is kept on the device changes.
  let lists = null;
  async function refresh() {
    lists = await Promise.all([
      all("status=in_progress"),
      all("status=queued"),
      finishes(),
      all("status=abandoned"),
    ]);
    offline = false;
    // Kept on the device, to open with when the reader cannot be reached (see `open`).
    try {
      localStorage.setItem(LISTS, JSON.stringify({ at: Date.now(), lists }));
    } catch (_) { /* full: the page works, only not offline */ }
    render();
    tweeting();
  }

  function render() {
    if (!lists) return;
    const [current, queued, [feed, more], dropped] = lists;
    older.hidden = !more;
    show(document.getElementById("current"), current, inProgress, "Nothing in progress.");
    show(document.getElementById("queue"), queued, upNext, "Nothing up next.", "up next");
    show(document.getElementById("dropped"), dropped, givenUp, "Nothing given up.", "given up");
    // Newest first: an item's first finish here is its latest, the one a change revises.
    const seen = new Set();
    show(document.getElementById("finished"), feed, (e) => {
      const latest = !seen.has(e.item.id);
      seen.add(e.item.id);
      return finished(e, latest);
    }, "Nothing finished yet.");
    finding();
  }

  // Each opening supersedes the one before (the token saved while the first read, without
  // one, is still out): only the latest says how it went.
  let opening = 0;
  async function open() {
    const mine = ++opening;
    try {
      await refresh();
      if (mine !== opening) return;
      settingsForm.hidden = true;
      log.hidden = false;
      say("");
      shared();
      flush();
    } catch (e) {
      if (mine !== opening) return;
      // No connection (or the reader restarting): the list as this device last read it, to
      // write to as ever (kept, and sent when the writer can be reached); read again when the
      // browser is online, every 15 s, or on coming back to the page.
      let last = null;
      try { last = JSON.parse(localStorage.getItem(LISTS)); } catch (_) { /* none kept */ }
      if (last && (e instanceof TypeError || e.status >= 502)) {
        // Shown already: left as it is (a form being filled in stays).
        if (offline) return;
        offline = true;
        lists = last.lists;
        render();
        settingsForm.hidden = true;
        log.hidden = false;
        const when = new Date(last.at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
        say("Your list as this device last read it, " + when + ": it cannot be read now (" + e.message + "). What you write is kept here and sent when it can be.", true);
        shared();
        return;
      }
      log.hidden = true;
      settingsForm.hidden = false;
      settingsForm.elements.writer.value = settings.writer;
      if (e.status === 401 || e.status === 403) {
        say(settings.token ? "That token is not the owner's: " + e.message : "Your token, once on this device.", !!settings.token);
      } else {
        say("Your list cannot be read: " + e.message, true);
      }
    }
  }

  settingsForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    // The TMDB key kept with them, if one was given.
    settings = Object.assign(settings, { token: settingsForm.elements.token.value.trim(), writer: settingsForm.elements.writer.value.trim() });
    localStorage.setItem(KEY, JSON.stringify(settings));
    open();
  });

  document.getElementById("forget").addEventListener("click", (ev) => {
    ev.preventDefault();
    localStorage.removeItem(KEY);
    localStorage.removeItem(LISTS);
    settings = { writer: defaultWriter };
    open();
  });

  // Your TMDB key, for the films' and shows' posters: kept with the token, on this device
  // alone (the page holds no secret of its own; "Forget" drops it too).
  const postersForm = document.getElementById("posters");
  document.getElementById("posters-open").addEventListener("click", (ev) => {
    ev.preventDefault();
    postersForm.elements.tmdb.value = settings.tmdb || "";
    postersForm.hidden = !postersForm.hidden;
  });
  postersForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const given = postersForm.elements.tmdb.value.trim();
    if (given) settings.tmdb = given;
    else delete settings.tmdb;
    localStorage.setItem(KEY, JSON.stringify(settings));
    postersForm.hidden = true;
    say(given
      ? "Your TMDB key is kept on this device: a film or a show added without a cover gets its poster."
      : "No TMDB key on this device: no poster is looked up.");
  });

  // Words as the list is searched for a title or a maker: lower case, without the punctuation.
  const words = (text) => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean).join(" ");
  // A link as the same page: without its fragment and a trailing slash.
  const page = (link) => {
    try {
      const u = new URL(link);
      return u.origin + u.pathname.replace(/\/+$/, "") + u.search;
    } catch (_) {
      return link;
    }
  };
  const STANDING = { queued: "up next", in_progress: "in progress", finished: "finished", abandoned: "given up", removed: "removed" };

  // The item in the list that `body` would add again, as `lately add` refuses it: the same
  // kind and the title's words (in any case and punctuation) with a maker in common when both
  // name some, or the same page (a link): the film added on the laptop, then on the phone.
  // Removed items too, after the others.
  async function already(body) {
    const makers = body.creators.map(words);
    const title = words(body.title);
    const same = (item) =>
      (body.url && item.url && page(body.url) === page(item.url)) ||
      (title && words(item.title) === title &&
        (!makers.length || !item.creators.length || item.creators.some((c) => makers.includes(words(c)))));
    for (const status of ["", "&status=removed"]) {
      const twin = (await all("kind=" + body.kind + status)).find(same);
      if (twin) return twin;
    }
    return null;
  }

  // Open Library's cover of the book called `title` by one of `authors`, as `lately add book
  // … --by …` finds it (open_library.rs, the same rule, a wrong cover being worse than none):
  // the first work of that title (a subtitle on one side only, or a Goodreads series after it,
  // aside) by an author of that surname, that has a cover. None when there is none, or when
  // Open Library cannot be asked within 5 s (the phone offline: the add is kept without it).
  async function bookCover(title, authors) {
    if (!main.dataset.openLibrary) return "";
    const searched = title.replace(/ \([^()]*#[^()]*\)$/, "").trim();
    const head = (t) => words(t.split(":")[0]);
    const same = (theirs) => {
      const [a, b] = [words(theirs), words(searched)];
      return !!a && (a === b || a === head(searched) || head(theirs) === b);
    };
    const surname = (name) => words(name).split(" ").pop();
    const surnames = authors.map(surname);
    try {
      const docs = await search({ title: searched, author: authors[0], limit: "10" });
      const work = docs.find((d) => typeof d.title === "string" && same(d.title) &&
        (d.author_name || []).some((n) => surnames.includes(surname(n))) && d.cover_i > 0);
      return work ? idCover(work.cover_i) : "";
    } catch (_) {
      return "";
    }
  }
  // TMDB's poster of the film or show called `title`, as `lately add movie …` finds it
  // (tmdb.rs, the same rule, a wrong poster being worse than none): the first result called
  // so word for word (its title or its original one) that has a poster, of the year the title
  // ends with ("Heat (1995)"), if it does; an item of one season of a show ("Severance,
  // season 2") looked up as the show (tmdb.rs's `show_name`). None without a key on this
  // device, when there is none, or when TMDB cannot be asked within 5 s (the add is kept
  // without it).
  async function poster(kind, title) {
    const base = main.dataset.tmdb;
    if (!base || !settings.tmdb) return "";
    const show = kind === "tv";
    const dated = /^(.*\S)\s+\((\d{4})\)$/.exec(title.trim());
    const year = dated && +dated[2] >= 1870 && +dated[2] <= 2999 ? dated[2] : "";
    const dateless = year ? dated[1] : title.trim();
    const season = show && /^(.*?\S)[\s,:\-–—(]*[\s(](?:(?:season|series)\s*\d+|s\d+)\)?$/i.exec(dateless);
    const name = season ? season[1] : dateless;
    const q = new URLSearchParams({ query: name, include_adult: "false" });
    if (year) q.set(show ? "first_air_date_year" : "year", year);
    // The short API key goes in the query, the read access token as a bearer's.
    const headers = {};
    if (/^[0-9a-fA-F]{32}$/.test(settings.tmdb)) q.set("api_key", settings.tmdb);
    else headers.Authorization = "Bearer " + settings.tmdb;
    try {
      const answer = await fetch(base + "/3/search/" + (show ? "tv" : "movie") + "?" + q, { headers, signal: AbortSignal.timeout(5000) });
      if (!answer.ok) return "";
      const wanted = words(name);
      const names = show ? ["name", "original_name"] : ["title", "original_title"];
      const found = ((await answer.json()).results || []).find((r) =>
        names.some((n) => typeof r[n] === "string" && words(r[n]) === wanted) &&
        typeof r.poster_path === "string" && r.poster_path.length > 1 && r.poster_path.startsWith("/"));
      return found && wanted ? "https://image.tmdb.org/t/p/w342" + found.poster_path : "";
    } catch (_) {
      return "";
    }
  }

  const idCover = (id) => "https://covers.openlibrary.org/b/id/" + id + "-M.jpg?default=false";

  // Open Library's search asked `query` (5 s at most): the works it found; it throws why not.
  async function search(query) {
    const q = new URLSearchParams(Object.assign({ fields: "title,author_name,cover_i" }, query));
    const answer = await fetch(main.dataset.openLibrary + "/search.json?" + q, { signal: AbortSignal.timeout(5000) });
    if (!answer.ok) throw new Error(answer.status + " " + answer.statusText);
    return (await answer.json()).docs || [];
  }

  // The ISBN on a book's back typed as its title (10 or 13 digits): the add form filled in
  // with the book as Open Library names it (`lately add book 978-…`'s rule: the work's title,
  // authors and cover, else the edition's cover by the ISBN), to be looked over and added.
  // Nothing is written until then.
  async function named(isbn) {
    const f = add.elements;
    const buttons = add.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    say("Looking the ISBN " + isbn + " up on Open Library…");
    try {
      const work = (await search({ q: "isbn:" + isbn, limit: "1" }))[0];
      const title = work && typeof work.title === "string" ? work.title.trim() : "";
      if (!title) return say("Open Library knows no book with the ISBN " + isbn + ": give its title.", true);
      f.title.value = title;
      if (!f.by.value.trim()) f.by.value = (work.author_name || []).join(", ");
      if (!f.cover.value.trim()) f.cover.value = work.cover_i > 0 ? idCover(work.cover_i) : isbn;
      add.querySelector("details.more").open = true;
      previewing();
      f.title.focus();
      say("Filled in from Open Library, by the ISBN " + isbn + ": look it over, then Add.");
    } catch (e) {
      say("The ISBN " + isbn + " could not be looked up on Open Library (" + e.message + "): give the book's title.", true);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  const add = document.getElementById("add");
  // The cover the add form would save, shown beside its field as it is typed or filled in
  // from a shared page (its picture, or the ISBN's on Open Library): hidden while there is
  // none, the digits are no ISBN, or the picture does not load.
  const preview = add.querySelector("img.preview");
  // The picture the field names now, as the document spells an address: a picture that
  // arrives for what the field named before stays hidden.
  let wanted = "";
  function previewing() {
    wanted = "";
    try {
      const src = add.elements.cover.value.trim() ? coverOf(add.elements.cover.value) : "";
      if (/^https?:\/\//i.test(src)) wanted = new URL(src).href;
    } catch (_) { /* not an ISBN, or no address: the add says why */ }
    preview.hidden = !(wanted && preview.src === wanted && preview.complete && preview.naturalWidth > 1);
    if (wanted && preview.src !== wanted) preview.src = wanted;
  }
  // A host's 1×1 placeholder for a cover it does not have is none.
  preview.addEventListener("load", () => (preview.hidden = preview.src !== wanted || preview.naturalWidth < 2));
  preview.addEventListener("error", () => (preview.hidden = true));
  add.elements.cover.addEventListener("input", previewing);
  add.addEventListener("reset", () => setTimeout(previewing));
  add.addEventListener("submit", (ev) => {
    ev.preventDefault();
    // "Add, finished": the article just read, shared from the phone, logged in one tap.
    const done = !!ev.submitter && ev.submitter.value === "finished";
    const f = add.elements;
    const digits = f.title.value.replace(/[\s-]/g, "");
    if (f.kind.value === "book" && main.dataset.openLibrary && /^(\d{9}[\dXx]|\d{13})$/.test(digits)) {
      let isbn;
      try {
        isbn = isbnOf(f.title.value);
      } catch (e) {
        return say(e.message, true);
      }
      return named(isbn);
    }
    const body = {
      kind: f.kind.value,
      title: f.title.value.trim(),
      creators: names(f.by.value),
      tags: names(f.tags.value),
      visibility: f.private.checked ? "private" : "public",
    };
    if (f.url.value.trim()) body.url = f.url.value.trim();
    try {
      if (f.cover.value.trim()) body.cover_url = coverOf(f.cover.value);
    } catch (e) {
      return say(e.message, true);
    }
    const adding = async () => {
      // A public book without a cover: Open Library's, when it has one (a private one's title
      // is not sent out).
      let covered = "";
      if (!body.cover_url && body.kind === "book" && body.visibility === "public" && body.creators.length) {
        body.cover_url = await bookCover(body.title, body.creators);
        if (body.cover_url) covered = " Its cover is Open Library's.";
        else delete body.cover_url;
      } else if (!body.cover_url && (body.kind === "movie" || body.kind === "tv") && body.visibility === "public") {
        body.cover_url = await poster(body.kind, body.title);
        if (body.cover_url) covered = " Its poster is TMDB's.";
        else delete body.cover_url;
      }
      let added;
      try {
        added = await write("POST", "/v1/items", body);
      } catch (e) {
        if (!e.kept) throw e;
        add.reset();
        f.kind.value = body.kind;
        if (!done) throw e;
        // Finished too, once it is added: the finish names the item its add makes.
        keep({ method: "POST", path: "/v1/items/{" + e.kept.key + "}/finish", body: {}, key: key(), title: body.title }, e.why);
        e.message = "Kept on this device, " + e.why + ": adding “" + body.title + "”, then finishing it. Both are sent once they can be.";
        throw e;
      }
      add.reset();
      f.kind.value = body.kind; // the next one is likelier of the same kind
      let said = "Added “" + body.title + "”: up next.";
      if (done) {
        try {
          await write("POST", path(added, "finish"), {});
          said = "Added “" + body.title + "” and finished it: rate it below, if you like.";
          rateNext = added.id;
        } catch (e) {
          said = "Added “" + body.title + "” (up next), but finishing it failed: " + e.message;
        }
      }
      return [
        said + covered,
        async () => {
          await write("DELETE", path(added));
          return "Removed “" + body.title + "” (`lately restore " + added.id + "` brings it back).";
        },
      ];
    };
    acting(add, async () => {
      let twin = null;
      try {
        twin = await already(body);
      } catch (e) {
        // The list cannot be read (the phone offline, this reader restarting): added all the
        // same, kept if need be.
        if (!(e instanceof TypeError) && !(e.status >= 502)) throw e;
      }
      if (!twin) return adding();
      const times = twin.status === "finished" && twin.times_finished > 1 ? " " + twin.times_finished + " times" : "";
      return [
        "“" + twin.title + "”" + (twin.creators.length ? " by " + twin.creators.join(", ") : "") +
          " is in your list already (" + STANDING[twin.status] + times + "). Add another all the same (another edition, a remake)?",
        adding,
        "Add it anyway",
      ];
    });
  });

  // Sites whose pages are mostly of one kind, by host (and its subdomains) and path, for a
  // page that does not say its kind itself (Open Graph's `og:type`); other links are articles.
  const SITES = [
    ["letterboxd.com", /^\/film\//, "movie"],
    ["imdb.com", /^\/title\//, "movie"],
    ["themoviedb.org", /^\/movie\//, "movie"],
    ["themoviedb.org", /^\/tv\//, "tv"],
    ["trakt.tv", /^\/movies\//, "movie"],
    ["trakt.tv", /^\/shows\//, "tv"],
    ["tvmaze.com", /^\/shows\//, "tv"],
    ["goodreads.com", /^\/book\//, "book"],
    ["openlibrary.org", /^\/(works|books)\//, "book"],
    ["thestorygraph.com", /^\/books\//, "book"],
    ["bookshop.org", /^\/p\/books\//, "book"],
    ["store.steampowered.com", /^\/app\//, "game"],
    ["gog.com", /\/game\//, "game"],
    ["backloggd.com", /^\/games\//, "game"],
    ["itch.io", /./, "game"],
    ["podcasts.apple.com", /./, "podcast"],
    ["overcast.fm", /./, "podcast"],
    ["pca.st", /./, "podcast"],
    ["open.spotify.com", /^\/(episode|show)\//, "podcast"],
  ];
  const TYPES = { book: "book", "books.book": "book", "video.movie": "movie", "video.tv_show": "tv", "video.episode": "tv", article: "article" };

  function kindOf(link, type) {
    if (TYPES[type]) return TYPES[type];
    try {
      const u = new URL(link);
      const site = SITES.find(([host, path]) => (u.hostname === host || u.hostname.endsWith("." + host)) && path.test(u.pathname));
      return site ? site[2] : "article";
    } catch (_) {
      return "";
    }
  }

  // A page's address as kept, as `lately add KIND LINK` keeps it: without its fragment and
  // the parameters that say where a click came from, not which page it is.
  function address(link) {
    try {
      const u = new URL(link);
      u.hash = "";
      const tracking = ["fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok"];
      for (const k of [...u.searchParams.keys()]) {
        if (k.startsWith("utm_") || tracking.includes(k)) u.searchParams.delete(k);
      }
      return u.href;
    } catch (_) {
      return link;
    }
  }

  // A page's title without the site's name that pages append to it ("A post | The Paper"):
  // the name the page gives itself (`og:site_name`), or a last part that is the name of the
  // link's host ("How it works - The Verge" at www.theverge.com).
  function untitled(title, site, link) {
    const m = /^(.+\S)\s+(?:\||-|–|—|·|•|::)\s+(\S.*)$/.exec(title);
    if (!m) return title;
    const letters = (s) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
    let hosts = [];
    try { hosts = new URL(link).hostname.split(".").slice(0, -1); } catch (_) { /* no link */ }
    const last = letters(m[2]);
    return (site && last === letters(site)) || hosts.includes(last) ? m[1] : title;
  }

  // A page shared to this one from a phone (the manifest's share target: `title`, `text` and
  // `url`, the link often inside the text) or sent by the bookmarklet (`title`, `site`, `by`,
  // `url`, `cover`, `type`): the add form filled in with it, to be looked over and added by a
  // tap. Nothing is written until then, so a link to this page cannot add anything.
  async function shared() {
    const q = new URLSearchParams(location.search);
    const text = (q.get("text") || "").trim();
    const inText = /https?:\/\/\S+/.exec(text);
    const link = (q.get("url") || "").trim() || (inText ? inText[0] : "");
    const title = (q.get("title") || "").trim() || (inText ? text.replace(inText[0], "") : text).trim();
    if (!link && !title) return;
    // Once: a reload, or the page opened again from the home screen, starts empty.
    history.replaceState(null, "", location.pathname);
    const f = add.elements;
    add.reset();
    f.kind.value = LABEL[q.get("kind")] ? q.get("kind") : kindOf(link, q.get("type")) || f.kind.value;
    f.title.value = untitled(title, q.get("site"), link);
    f.by.value = q.get("by") || "";
    f.url.value = link ? address(link) : "";
    f.cover.value = q.get("cover") || "";
    add.querySelector("details.more").open = !!(f.url.value || f.cover.value);
    previewing();
    f.title.focus();
    say("Filled in from the page you shared: look it over, then Add (“Add, finished” if you are done with it).");
    // Shared again once read (added to read later, shared now to log it): its line alone,
    // its "Finish…" open, rather than the question "Add it anyway?" after a tap on Add.
    let twin = null;
    try {
      twin = await already({ kind: f.kind.value, title: f.title.value, creators: names(f.by.value), url: f.url.value });
    } catch (_) { /* the add's own check asks again */ }
    if (!twin || (twin.status !== "queued" && twin.status !== "in_progress")) return;
    find.value = twin.title;
    finding();
    const line = log.querySelector('li[data-id="' + CSS.escape(twin.id) + '"]');
    const finish = line && line.querySelector("form.finish");
    if (finish) finish.parentElement.open = true;
    say("“" + twin.title + "” is " + STANDING[twin.status] + " in your list already: finish it here, or Add it again.");
  }

  // Run by the bookmarklet on the page it is tapped on, so it refers to nothing outside
  // itself: what that page says it is (schema.org's JSON-LD, Open Graph, `<meta>` names, its
  // own address), sent to this page (`owner`) for `shared` to fill the add form with. Read in
  // the order `lately add KIND LINK` reads a page: a work's JSON-LD first (a film site's
  // `og:title` is "Aftersun (2022)", its JSON-LD's name "Aftersun", its director there alone).
  function bookmarked(owner) {
    const meta = (n) => {
      const e = document.querySelector('meta[property="' + n + '"], meta[name="' + n + '"]');
      return e && e.content ? e.content.trim() : "";
    };
    const ld = [];
    for (const script of document.querySelectorAll('script[type="application/ld+json"]')) {
      try {
        const stack = [JSON.parse(script.textContent.replace(/<!\[CDATA\[|\]\]>/g, "").replace(/^[^{[]*|[^}\]]*$/g, ""))];
        while (stack.length) {
          const v = stack.pop();
          if (Array.isArray(v)) stack.push(...v);
          else if (v && typeof v === "object") {
            if (v["@graph"]) stack.push(v["@graph"]);
            ld.push(v);
          }
        }
      } catch (_) { /* not JSON: the page's other facts */ }
    }
    const KINDS = { Book: "book", Movie: "movie", TVSeries: "tv", TVSeason: "tv", TVEpisode: "tv", Episode: "tv", VideoGame: "game", PodcastSeries: "podcast", PodcastEpisode: "podcast", Article: "article", NewsArticle: "article", BlogPosting: "article", ScholarlyArticle: "article", TechArticle: "article", Report: "article" };
    const kindOf = (o) => [].concat(o["@type"]).map((t) => KINDS[t]).find(Boolean);
    const work = ld.find((o) => kindOf(o) && kindOf(o) !== "article");
    const article = ld.find((o) => kindOf(o) === "article");
    const text = (v) => (typeof v === "string" ? v.replace(/\s+/g, " ").trim() : "");
    const people = (v) => (Array.isArray(v) ? v.flatMap(people) : [text(v && typeof v === "object" ? v.name : v)].filter(Boolean));
    const picture = (v) => (Array.isArray(v) ? v.map(picture).find(Boolean) || "" : text(v && typeof v === "object" ? v.url : v));
    // A work's makers as it names them: its authors, else its directors, else its creators.
    const about = work || article || {};
    const makers = ["author", "director", "creator"].map((r) => people(about[r])).find((n) => n.length) || [];
    // An article's author is often a profile's address, not a name.
    const by = [];
    for (const name of Array.from(document.querySelectorAll('meta[name="author"]'), (e) => e.content.trim()).concat(makers)) {
      if (name && !/^https?:/.test(name) && !by.some((b) => b.toLowerCase() === name.toLowerCase())) by.push(name);
    }
    const canonical = document.querySelector("link[rel~=canonical]");
    const image = (work && picture(work.image)) || meta("og:image") || meta("twitter:image") || (article && picture(article.image));
    const facts = {
      // A canonical address on another site is the syndicated original's: this is the page read.
      url: canonical && new URL(canonical.href).hostname === location.hostname ? canonical.href : location.href,
      title: (work && text(work.name)) || meta("og:title") || meta("twitter:title") || (article && text(article.headline)) || document.title,
      site: meta("og:site_name"),
      type: meta("og:type"),
      kind: work ? kindOf(work) : "",
      by: by.join(", "),
      cover: image ? new URL(image, location.href).href : "",
    };
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(facts)) if (v) q.set(k, v);
    location.href = owner + "?" + q;
  }
  const bookmarklet = document.getElementById("bookmarklet");
  bookmarklet.href = "javascript:" + encodeURIComponent("(" + bookmarked + ")(" + JSON.stringify(location.origin + location.pathname) + ")");
  // Here it is to be dragged, not tapped (this page's policy runs no script of a link anyway).
  bookmarklet.addEventListener("click", (ev) => {
    ev.preventDefault();
    say("Drag “+ lately” to your bookmarks; tapped there on another page, it adds that page here.");
  });

  // Opens with no connection where service workers run (https, or this machine).
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("owner-sw.js", { scope: "./owner" }).catch(() => { /* the page works, only not offline */ });
  }
  showKept();
  open();
})();
