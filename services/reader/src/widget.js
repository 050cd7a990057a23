// lately widget: renders the recently-finished feed into <div data-lately></div>, inside a
// shadow root so the host page's styles and ours never touch. Options: data-show (finished,
// the default; current: what is in progress, with how far; queue: what waits to be started;
// stats: how much was finished in data-year, the owner's current year by default, perhaps
// against data-goal), data-kind, data-tag, data-year (the finishes of one year), data-reviews
// ("true": each finish's review under it), data-layout ("covers": a grid of covers, the title
// on a hover or a tab; the lists only), data-limit, data-theme (light|dark|auto), data-lang,
// data-title, data-heading ("false": none shown, for a blog that puts the widget under a
// heading of its own; the title still names the section for screen readers). The
// feed follows the log live over Server-Sent Events: new finishes, edits and revisions, items
// made private, removed or restored. The lists of items change by starts and progress, which
// the stream does not carry, and it follows the whole feed, not a year: those lists, a year's
// finishes and the counts are read again every minute while the page is visible
// (revalidated by ETag: a 304 while nothing was written to the log).
// The /widget page uses the same code for its live updates. User text is only ever set as
// text (textContent, attributes), never parsed as HTML.
(() => {
  "use strict";
  const CSS = __LATELY_CSS__;
  const script = document.currentScript;
  // The reader's base URL: where this script was loaded from, path included, so that a reader
  // served under a path (https://example.com/lately/widget.js) is asked there too.
  const base = new URL(".", script ? new URL(script.src, location.href) : location.href).href;
  const LABEL = { book: "Book", article: "Article", movie: "Film", tv: "TV", game: "Game", podcast: "Podcast" };
  // A kind's name, as the server's MediaKind::label_in: a book followed in running time
  // (`unit`: an entry's followed_in, an item's progress_unit) is an audiobook.
  const label = (kind, unit) => (kind === "book" && unit === "seconds" ? "Audiobook" : LABEL[kind] || kind);

  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const stars = (r) => "★".repeat(Math.floor(r)) + (r % 1 ? "½" : "");
  const safeUrl = (u) => { try { const p = new URL(u); return p.protocol === "https:" || p.protocol === "http:" ? p.href : null; } catch { return null; } };

  function formatDate(iso, lang) {
    try { return new Intl.DateTimeFormat(lang || undefined, { dateStyle: "medium" }).format(new Date(iso)); }
    catch { return iso.slice(0, 10); }
  }

  // Days of the viewer's calendar from one time to another (the reader's took_html counts in
  // the owner's zone, which the page's dates are in until this script shows them in the viewer's).
  function daysBetween(from, to) {
    const day = (iso) => { const t = new Date(iso); return Date.UTC(t.getFullYear(), t.getMonth(), t.getDate()); };
    return Math.round((day(to) - day(from)) / 86400000);
  }

  // A cover that does not load (its link gone stale, its host down), or that is a host's 1×1
  // placeholder for a cover it does not have (Open Library's, Amazon's), becomes the blank the
  // item would have without one, its title's first letter, not a broken or empty picture.
  function mend(img) {
    const blank = () => {
      const li = img.closest("li");
      if (!li) return; // gone from the list meanwhile
      const title = li.querySelector(".p-name")?.textContent || "";
      const initial = (title.match(/[\p{L}\p{N}]/u) || [""])[0].toUpperCase();
      img.replaceWith(Object.assign(el("span", img.className.replace(" u-photo", "") + " blank", initial), { ariaHidden: "true" }));
    };
    // The server's page may have loaded or failed one before this script ran.
    if (img.complete && img.naturalWidth < 2) blank();
    else if (!img.complete) {
      img.addEventListener("error", blank);
      img.addEventListener("load", () => img.naturalWidth < 2 && blank());
    }
  }

  // An item as an h-entry, the same markup the server renders for /widget: its cover, title
  // and creators, then what `meta` adds (after the kind and creators) and a date, linked to
  // `permalink` if given. `unit`: what the read was followed in (see `label`).
  function renderItem(item, meta, at, timeClass, lang, permalink, unit) {
    const li = el("li", "h-entry");
    // Its kind's shape, as the server's cover_html: an article's picture wide, a podcast's square.
    const shape = { article: [" wide", 27], podcast: [" square", 48] }[item.kind] || ["", 72];
    const cover = item.cover_url && safeUrl(item.cover_url);
    if (cover) {
      const img = el("img", "cover" + shape[0] + " u-photo");
      img.src = cover; img.alt = "Cover of " + item.title; img.loading = "lazy"; img.width = 48; img.height = shape[1];
      li.append(img);
    } else {
      // No picture: the title's first letter or digit, as the server's blank.
      const initial = (item.title.match(/[\p{L}\p{N}]/u) || [""])[0].toUpperCase();
      li.append(Object.assign(el("span", "cover" + shape[0] + " blank", initial), { ariaHidden: "true" }));
    }
    const body = el("div");
    // The item's own page, else its page on the reader, as the reader's widget page links it.
    const url = (item.url && safeUrl(item.url)) || new URL("items/" + encodeURIComponent(item.id), base).href;
    body.append(Object.assign(el("a", "title p-name", item.title), { href: url }));
    const line = el("span", "meta");
    line.append(el("span", "kind", label(item.kind, unit) + " · "));
    if (item.creators.length) line.append(el("span", "p-author", item.creators.join(", ") + " · "));
    line.append(...meta);
    const time = el("time", timeClass, formatDate(at, lang));
    time.dateTime = at;
    if (permalink) {
      const link = Object.assign(el("a", "u-url permalink"), { href: permalink });
      link.append(time);
      line.append(link);
    } else {
      line.append(time);
    }
    body.append(line);
    li.append(body);
    // Once the line has its title, which a cover that fails gives its letter.
    li.querySelectorAll("img.cover").forEach(mend);
    return li;
  }

  // "2nd", "11th", "23rd".
  const ordinal = (n) => n + ([, "st", "nd", "rd"][(n % 100 >= 11 && n % 100 <= 13) ? 0 : n % 10] || "th");

  // One feed entry: its rating and when it was finished, and its review if `look.reviews`
  // (`look`: how a list of finishes is shown, { lang, reviews }).
  function render(e, look) {
    const meta = [];
    if (e.rating) {
      const s = el("span", "stars", stars(e.rating));
      s.setAttribute("role", "img"); s.setAttribute("aria-label", e.rating + " out of 5 stars");
      meta.push(s, " · ");
    }
    // The day links to the finish on its item's page, as the reader's page does.
    const permalink = new URL("items/" + encodeURIComponent(e.item.id) + "#finish-" + e.position, base).href;
    const li = renderItem(e.item, meta, e.finished_at, "dt-published", look.lang, permalink, e.followed_in);
    const days = e.started_at ? daysBetween(e.started_at, e.finished_at) : 0;
    if (days > 0) li.querySelector(".meta").append(" · ", el("span", "took", "took " + days + (days === 1 ? " day" : " days")));
    // A game's hours played, as the server's played_html.
    if (e.time_played !== undefined) li.querySelector(".meta").append(" · ", el("span", "played", duration(e.time_played) + " played"));
    // A re-read's, a rewatch's mark, as the server's again_html.
    if (e.finish_number > 1) li.querySelector(".meta").append(" · ", el("span", "again", ordinal(e.finish_number) + " time"));
    if (look.reviews && e.review) li.lastChild.append(el("p", "review p-content", e.review));
    li.dataset.position = e.position;
    return li;
  }

  const EMPTY = { finished: "Nothing finished yet.", current: "Nothing in progress right now.", queue: "Nothing waiting to be started." };
  const TITLE = { finished: "Recently finished", current: "In progress", queue: "Up next", stats: "Finished this year" };
  const showOf = (v) => (v === "current" || v === "queue" || v === "stats" ? v : "finished");

  // "14 books": the same words as the reader's stats widget (MediaKind::noun).
  const NOUN = { book: ["book", "books"], article: ["article", "articles"], movie: ["film", "films"], tv: ["TV show", "TV shows"], game: ["game", "games"], podcast: ["podcast", "podcasts"] };

  const noun = (kind, n) => (NOUN[kind] || [kind, kind])[n === 1 ? 0 : 1];
  // "3 books" when one kind is counted, else "3".
  const count = (n, kind) => (NOUN[kind] ? n + " " + noun(kind, n) : String(n));

  // Where a year's count stands against its goal on the owner's `today` (the projection's Pace): an
  // even pace through the year, rounded down, is the schedule.
  function pace(finished, goal, year, today, kind) {
    if (finished >= goal) return "goal reached";
    if (year < today.year) return count(goal - finished, kind) + " short of the goal";
    if (year > today.year) return null;
    const expected = Math.floor((goal * today.day) / today.days);
    if (finished > expected) return count(finished - expected, kind) + " ahead of schedule";
    if (finished === expected) return "on schedule";
    return count(expected - finished, kind) + " behind schedule";
  }

  // The goal's line: a bar, "14 of 24 books · 58%", and the pace.
  function goalItem(finished, year, target, today) {
    const { goal, kind } = target;
    const percent = Math.floor((finished * 100) / goal);
    const bar = el("progress", null, percent + "%");
    bar.value = Math.min(finished, goal);
    bar.max = goal;
    bar.setAttribute("aria-label", percent + "% of the goal");
    const li = el("li", "goal");
    li.append(bar, " ", el("strong", null, String(finished)), " of " + count(goal, kind) + " · " + percent + "%");
    const said = pace(finished, goal, year, today, kind);
    if (said) li.append(" ", el("span", "meta", said));
    return li;
  }

  // A year's counts (/v1/stats?year=), the same markup the server renders for show=stats: the
  // total with the average rating, the goals' lines (`targets`: [{ goal, kind, finished }]),
  // then a line per kind; where every finish is of one kind, the total names it instead ("2 books
  // finished").
  function renderStats(list, s, year, targets) {
    const today = todayIn(s.time_zone);
    const goal = targets.map((t) => goalItem(t.finished, year, t, today));
    if (!s.finished) {
      list.replaceChildren(el("li", "empty", "Nothing finished in " + year + " yet."), ...goal);
      return;
    }
    const kinds = Object.entries(s.by_kind);
    const one = kinds.length === 1 ? kinds[0][0] : null;
    // The games' hours played, beside their count (widget.rs's `played`).
    const played = (kind) => (kind === "game" && typeof s.time_played === "number"
      ? [" ", el("span", "meta played", "· " + duration(s.time_played) + " played")] : []);
    const total = el("li", "total");
    total.append(el("strong", null, String(s.finished)), (one ? " " + noun(one, s.finished) : "") + " finished");
    if (s.rated && typeof s.average_rating === "number") {
      total.append(" ", el("span", "meta", s.average_rating.toFixed(1) + "★ on average over " + s.rated + " rated"));
    }
    total.append(...played(one));
    const rows = [total, ...goal];
    for (const [kind, n] of one ? [] : kinds) {
      const li = el("li");
      li.dataset.kind = kind;
      li.append(el("strong", null, String(n)), " " + noun(kind, n), ...played(kind));
      rows.push(li);
    }
    if (Array.isArray(s.by_month)) {
      const names = el("li", "month-names");
      names.setAttribute("aria-hidden", "true");
      names.append(...MONTHS.map((m) => el("span", null, m[0])));
      rows.push(monthsItem(s.by_month), names);
    }
    list.replaceChildren(...rows);
  }

  // The year by month (widget.rs's months_html): a bar a month, as tall as its share of the
  // busiest month's count; the months' initials under them, in a row of their own.
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function monthsItem(counts) {
    const most = Math.max(1, ...counts);
    const li = el("li", "months");
    li.setAttribute("role", "img");
    li.setAttribute("aria-label", "By month: " + MONTHS.map((m, i) => m + " " + counts[i]).join(", "));
    for (const [i, n] of counts.entries()) {
      const bar = el("span");
      bar.title = MONTHS[i] + ": " + n;
      bar.style.height = Math.floor((n * 100) / most) + "%"; // CSSOM: a page's CSP allows it
      li.append(bar);
    }
    return li;
  }

  // The date it is now where the owner is (the stats say in which zone they count): its year,
  // its day of the year and how many days the year has.
  function todayIn(zone) {
    const now = new Date();
    let ymd = [now.getFullYear(), now.getMonth() + 1, now.getDate()];
    try {
      const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, year: "numeric", month: "numeric", day: "numeric" }).formatToParts(now);
      ymd = ["year", "month", "day"].map((t) => Number(parts.find((p) => p.type === t).value));
    } catch { /* an unknown zone: the viewer's */ }
    const [y, m, d] = ymd;
    const jan1 = Date.UTC(y, 0, 1);
    return { year: y, day: (Date.UTC(y, m - 1, d) - jan1) / 864e5 + 1, days: (Date.UTC(y + 1, 0, 1) - jan1) / 864e5 };
  }
  const yearOf = (v) => { const y = Number(v); return Number.isInteger(y) && y >= 1900 && y <= 9999 ? y : null; };
  const goalOf = (v) => { const g = Number(v); return v && Number.isInteger(g) && g >= 1 && g <= 100000 ? g : null; };

  // A read of the reader's JSON, revalidated (a 304 while nothing was written).
  const json = (url) => fetch(base + url, { cache: "no-cache" }).then((r) => (r.ok ? r.json() : Promise.reject(r.status)));

  // Keeps `list` as the reader has it: `read` (a promise that renders into it) runs when the
  // returned function is called, then every minute while the page is visible, and when it
  // becomes visible again. A failed read keeps what is shown; the first, with nothing shown,
  // says the feed is unavailable.
  function keepFresh(list, read) {
    const refresh = (force) => {
      if (force !== true && document.visibilityState === "hidden") return;
      read().catch(() => {
        if (force === true && !list.querySelector("li:not(.empty)")) {
          list.replaceChildren(el("li", "empty", "The feed is unavailable right now."));
        }
      });
    };
    setInterval(refresh, 60000);
    document.addEventListener("visibilitychange", refresh);
    return refresh;
  }

  // The filters a link to another of the reader's pages keeps: "?kind=book&tag=sf", or "".
  function filters(kind, tag) {
    const p = query(kind, tag, 1);
    p.delete("limit");
    return p.toString() ? "?" + p : "";
  }

  // A link under `list` to another of the reader's pages; the caller sets where.
  function moreLink(list, text) {
    const link = el("a", null, text);
    const p = el("p", "more");
    p.append(link);
    list.after(p);
    return link;
  }

  // Under a year's counts, the link to the year's page with the same filters, as the reader's
  // page has it (its year known once the counts are).
  const yearLink = (list) => moreLink(list, "The whole year →");

  // Under a list, the link to where the reader has all of it (what is in progress or up next:
  // their own pages; the finishes: the owner's page; a year's: the year's page), the same
  // filters kept, as the reader's own /widget has it.
  const PAGE = { current: "in-progress", queue: "up-next" };
  function allLink(list, show, kind, tag, year) {
    moreLink(list, year ? "The whole year →" : "See all →").href =
      base + (year ? "years/" + year : PAGE[show] || "") + filters(kind, tag);
  }

  // A year's counts of `kind` and `tag` (or all), against `goal` if there is one. Without a
  // year, the owner's current one, found anew each time (a page left open over New Year's Eve
  // moves on); `heading`, when given, says which, and `more`, when given, links to its page.
  const pollStats = (list, year, heading, kind, tag, goal, more) => keepFresh(list, () =>
    (year ? Promise.resolve(year) : json("v1/stats").then((all) => todayIn(all.time_zone).year))
      .then((y) => {
        const p = query(kind, tag, 1);
        p.delete("limit");
        p.set("year", y);
        return json("v1/stats?" + p).then((s) => {
          if (heading) {
            heading.textContent = "Finished in " + y;
            // Not shown: the section's name is the heading's words, and follows them.
            if (heading.hidden) heading.parentElement.setAttribute("aria-label", heading.textContent);
          }
          if (more) more.href = base + "years/" + y + filters(kind, tag);
          // The goal asked for, against these counts; or else the owner's for this year's
          // (LATELY_GOALS), each against its own, as the owner's page shows them.
          const targets = goal ? [{ goal, kind, finished: s.finished }] : (s.goals || []);
          renderStats(list, s, y, targets);
        });
      }));

  // How far, as the owner counted: "page 183 of 304", "1h 20m of 4h 12m" in running time, a
  // game's "12h played" of no known whole, a show's "S2 E5" (as the reader's
  // Portion::describe says it), or the percentage.
  const UNIT = { book: "page ", tv: "episode ", podcast: "episode " };
  function howFar(i) {
    if (i.progress_season !== undefined) return "S" + i.progress_season + " E" + i.progress_done;
    if (i.progress_done !== undefined && i.progress_of === undefined && i.progress_unit === "seconds") {
      return duration(i.progress_done) + (i.kind === "game" ? " played" : " in");
    }
    if (i.progress_done === undefined || i.progress_of === undefined) return i.progress + "%";
    if (i.progress_unit === "seconds") return duration(i.progress_done) + " of " + duration(i.progress_of);
    return (UNIT[i.kind] || "") + i.progress_done + " of " + i.progress_of;
  }
  // "4h 12m", "45m", "1h", "30s" under a minute (lately_domain::duration).
  function duration(s) {
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    if (!h) return m ? m + "m" : s + "s";
    return m ? h + "h " + m + "m" : h + "h";
  }

  // One item of /v1/current (how far, when last touched) or /v1/queue (when added).
  function renderListed(i, show, lang) {
    const meta = [];
    let at = i.updated_at, timeClass = "dt-updated";
    if (show === "queue") {
      meta.push("added ");
      at = i.added_at;
    } else if (i.progress !== null && i.progress !== undefined) {
      const bar = el("progress", null, i.progress + "%");
      bar.value = i.progress; bar.max = 100; bar.setAttribute("aria-label", i.progress + "% done");
      const far = el("span", "far");
      far.append(bar, " " + howFar(i));
      meta.push(far, " · updated ");
    } else if (i.progress_done !== undefined) {
      // Time played of no known whole, an episode of a season: no bar, as neither is a share
      // of anything.
      meta.push(el("span", "far", howFar(i)), " · updated ");
    } else {
      // Nothing logged since it was started: when that was.
      meta.push("started ");
      at = i.started_at || i.updated_at;
      timeClass = null;
    }
    const li = renderItem(i, meta, at, timeClass, lang, null, i.progress_unit);
    li.dataset.id = i.id;
    return li;
  }

  // A list of items (/v1/current or /v1/queue).
  const poll = (list, show, params, lang) => keepFresh(list, () =>
    json("v1/" + show + "?" + params).then((page) => {
      list.replaceChildren(...page.items.map((i) => renderListed(i, show, lang)));
      if (!page.items.length) list.append(el("li", "empty", EMPTY[show]));
    }));

  // A year's finishes (`params` has the year). The live stream follows the whole feed, not a
  // year, and a year's list hardly changes once it is over: read again every minute while
  // visible, as the lists of items are.
  const pollFeed = (list, params, look) => keepFresh(list, () =>
    json("v1/feed?" + params).then((feed) => {
      list.replaceChildren(...feed.items.map((e) => render(e, look)));
      if (!feed.items.length) list.append(el("li", "empty", "Nothing finished in " + params.get("year") + "."));
    }));

  // An entry's place in the list: newest finish first, ties by log order, as in the feed.
  const entries = (list) => [...list.querySelectorAll("li.h-entry")];
  const order = (li) => [Date.parse(li.querySelector("time").dateTime), Number(li.dataset.position)];
  const before = (a, b) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

  // Shows `entry` where the feed has it (replacing its older rendering), unless it falls
  // below a full list.
  function place(list, entry, limit, look) {
    list.querySelector('[data-position="' + entry.position + '"]')?.remove();
    const li = render(entry, look);
    const next = entries(list).find((x) => before(order(li), order(x)));
    if (next) list.insertBefore(li, next);
    else if (entries(list).length < limit) list.append(li);
    else return;
    list.querySelector(".empty")?.remove();
    while (entries(list).length > limit) entries(list).pop().remove();
  }

  // Follows the feed: new finishes, finishes edited or revised since, and those made private
  // or removed. The browser resumes with Last-Event-ID after a drop.
  function live(list, params, limit, look) {
    if (!("EventSource" in window)) return;
    const source = new EventSource(base + "v1/stream?" + params);
    const show = (ev) => place(list, JSON.parse(ev.data), limit, look);
    source.addEventListener("finish", show);
    source.addEventListener("update", show);
    // What was below the list moves up into the place of what went, as on a reload: read
    // from a replica that has applied the removal (the load balancer may pick any).
    source.addEventListener("remove", (ev) => {
      const { position } = JSON.parse(ev.data);
      list.querySelector('[data-position="' + position + '"]')?.remove();
      fetch(base + "v1/feed?" + params + "&min_position=" + encodeURIComponent(ev.lastEventId))
        .then((r) => r.json())
        .then((feed) => {
          for (const e of feed.items) place(list, e, limit, look);
          if (!entries(list).length && !list.querySelector(".empty")) list.append(el("li", "empty", EMPTY.finished));
        })
        .catch(() => {});
    });
  }

  function query(kind, tag, limit) {
    const p = new URLSearchParams({ limit: String(limit) });
    if (kind) p.set("kind", kind);
    if (tag) p.set("tag", tag);
    return p;
  }

  // The /widget page: already rendered by the server; localise dates and go live.
  const page = document.querySelector("section.lately[data-live]");
  if (page && !script?.hasAttribute("data-embed")) {
    const lang = document.documentElement.lang;
    page.querySelectorAll("time").forEach((t) => { t.textContent = formatDate(t.dateTime, lang); });
    page.querySelectorAll("img.cover").forEach(mend);
    const limit = Number(page.dataset.limit) || 10;
    const show = showOf(page.dataset.show);
    const params = query(page.dataset.kind, page.dataset.tag, limit);
    const year = yearOf(page.dataset.year);
    const look = { lang, reviews: page.dataset.reviews === "true" };
    if (show === "finished" && year) {
      params.set("year", year);
      pollFeed(page.querySelector("ol"), params, look);
    } else if (show === "finished") live(page.querySelector("ol"), params, limit, look);
    else if (show === "stats") {
      const { year, kind, tag, goal } = page.dataset;
      pollStats(page.querySelector("ol"), yearOf(year), null, kind, tag, goalOf(goal));
    }
    else poll(page.querySelector("ol"), show, params, lang); // rendered by the server just now
    return;
  }

  // Embedded on someone's page.
  for (const host of document.querySelectorAll("[data-lately]")) {
    if (host.shadowRoot) continue;
    const limit = Math.min(Math.max(Number(host.dataset.limit) || 5, 1), 100);
    const kind = host.dataset.kind || "";
    const tag = host.dataset.tag || "";
    const lang = host.dataset.lang || document.documentElement.lang || navigator.language;
    const show = showOf(host.dataset.show);
    const root = host.attachShadow({ mode: "open" });
    const style = el("style", null, CSS);
    const section = el("section", "lately h-feed");
    section.dataset.theme = host.dataset.theme || "auto";
    const year = yearOf(host.dataset.year);
    const yearly = (show === "stats" || show === "finished") && year;
    const heading = el("h2", "p-name", host.dataset.title || (yearly ? "Finished in " + year : TITLE[show]));
    if (host.dataset.heading === "false") {
      heading.hidden = true;
      section.setAttribute("aria-label", heading.textContent);
    }
    section.append(heading);
    const list = el("ol");
    // A shelf of covers: the same entries, laid out by the stylesheet.
    if (host.dataset.layout === "covers" && show !== "stats") list.className = "covers";
    section.append(list);
    root.append(style, section);
    if (show === "stats") {
      list.className = "stats";
      pollStats(list, year, host.dataset.title ? null : heading, kind, tag, goalOf(host.dataset.goal), yearLink(list))(true);
      continue;
    }
    allLink(list, show, kind, tag, show === "finished" ? year : null);
    if (show !== "finished") {
      poll(list, show, query(kind, tag, limit), lang)(true);
      continue;
    }
    const look = { lang, reviews: host.dataset.reviews === "true" };
    if (year) {
      const params = query(kind, tag, limit);
      params.set("year", year);
      pollFeed(list, params, look)(true);
      continue;
    }
    fetch(base + "v1/feed?" + query(kind, tag, limit))
      .then((r) => r.json())
      .then((feed) => {
        if (!feed.items.length) list.append(el("li", "empty", EMPTY.finished));
        for (const e of feed.items) list.append(render(e, look));
      })
      .catch(() => list.append(el("li", "empty", "The feed is unavailable right now.")));
    live(list, query(kind, tag, limit), limit, look);
  }
})();
