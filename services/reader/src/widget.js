// lately widget: renders the recently-finished feed into <div data-lately></div>, inside a
// shadow root so the host page's styles and ours never touch. Options: data-kind, data-tag,
// data-limit, data-theme (light|dark|auto), data-lang, data-title. The list follows the feed
// live over Server-Sent Events: new finishes, edits and revisions, items made private,
// removed or restored.
// The /widget page uses the same code for its live updates. User text is only ever set as
// text (textContent, attributes), never parsed as HTML.
(() => {
  "use strict";
  const CSS = __LATELY_CSS__;
  const script = document.currentScript;
  const origin = script ? new URL(script.src, location.href).origin : location.origin;
  const LABEL = { book: "Book", article: "Article", movie: "Film", tv: "TV", game: "Game", podcast: "Podcast" };

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

  // One feed entry as an h-entry, the same markup the server renders for /widget.
  function render(e, lang) {
    const li = el("li", "h-entry");
    li.dataset.position = e.position;
    const cover = e.item.cover_url && safeUrl(e.item.cover_url);
    if (cover) {
      const img = el("img", "cover u-photo");
      img.src = cover; img.alt = "Cover of " + e.item.title; img.loading = "lazy"; img.width = 48; img.height = 72;
      li.append(img);
    } else {
      li.append(Object.assign(el("span", "cover"), { ariaHidden: "true" }));
    }
    const body = el("div");
    const url = e.item.url && safeUrl(e.item.url);
    const title = url ? Object.assign(el("a", "title p-name u-url", e.item.title), { href: url }) : el("span", "title p-name", e.item.title);
    body.append(title);
    const meta = el("span", "meta");
    meta.append(el("span", "kind", (LABEL[e.item.kind] || e.item.kind) + " · "));
    if (e.item.creators.length) meta.append(el("span", "p-author", e.item.creators.join(", ") + " · "));
    if (e.rating) {
      const s = el("span", "stars", stars(e.rating));
      s.setAttribute("role", "img"); s.setAttribute("aria-label", e.rating + " out of 5 stars");
      meta.append(s, " · ");
    }
    const time = el("time", "dt-published", formatDate(e.finished_at, lang));
    time.dateTime = e.finished_at;
    meta.append(time);
    body.append(meta);
    li.append(body);
    return li;
  }

  // An entry's place in the list: newest finish first, ties by log order, as in the feed.
  const entries = (list) => [...list.querySelectorAll("li.h-entry")];
  const order = (li) => [Date.parse(li.querySelector("time").dateTime), Number(li.dataset.position)];
  const before = (a, b) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

  // Shows `entry` where the feed has it (replacing its older rendering), unless it falls
  // below a full list.
  function place(list, entry, limit, lang) {
    list.querySelector('[data-position="' + entry.position + '"]')?.remove();
    const li = render(entry, lang);
    const next = entries(list).find((x) => before(order(li), order(x)));
    if (next) list.insertBefore(li, next);
    else if (entries(list).length < limit) list.append(li);
    else return;
    list.querySelector(".empty")?.remove();
    while (entries(list).length > limit) entries(list).pop().remove();
  }

  // Follows the feed: new finishes, finishes edited or revised since, and those made private
  // or removed. The browser resumes with Last-Event-ID after a drop.
  function live(list, params, limit, lang) {
    if (!("EventSource" in window)) return;
    const source = new EventSource(origin + "/v1/stream?" + params);
    const show = (ev) => place(list, JSON.parse(ev.data), limit, lang);
    source.addEventListener("finish", show);
    source.addEventListener("update", show);
    // What was below the list moves up into the place of what went, as on a reload: read
    // from a replica that has applied the removal (the load balancer may pick any).
    source.addEventListener("remove", (ev) => {
      const { position } = JSON.parse(ev.data);
      list.querySelector('[data-position="' + position + '"]')?.remove();
      fetch(origin + "/v1/feed?" + params + "&min_position=" + encodeURIComponent(ev.lastEventId))
        .then((r) => r.json())
        .then((feed) => {
          for (const e of feed.items) place(list, e, limit, lang);
          if (!entries(list).length && !list.querySelector(".empty")) list.append(el("li", "empty", "Nothing finished yet."));
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
    const limit = Number(page.dataset.limit) || 10;
    live(page.querySelector("ol"), query(page.dataset.kind, page.dataset.tag, limit), limit, lang);
    return;
  }

  // Embedded on someone's page.
  for (const host of document.querySelectorAll("[data-lately]")) {
    if (host.shadowRoot) continue;
    const limit = Math.min(Math.max(Number(host.dataset.limit) || 5, 1), 100);
    const kind = host.dataset.kind || "";
    const tag = host.dataset.tag || "";
    const lang = host.dataset.lang || document.documentElement.lang || navigator.language;
    const root = host.attachShadow({ mode: "open" });
    const style = el("style", null, CSS);
    const section = el("section", "lately h-feed");
    section.dataset.theme = host.dataset.theme || "auto";
    section.append(el("h2", "p-name", host.dataset.title || "Recently finished"));
    const list = el("ol");
    section.append(list);
    root.append(style, section);
    fetch(origin + "/v1/feed?" + query(kind, tag, limit))
      .then((r) => r.json())
      .then((feed) => {
        if (!feed.items.length) list.append(el("li", "empty", "Nothing finished yet."));
        for (const e of feed.items) list.append(render(e, lang));
      })
      .catch(() => list.append(el("li", "empty", "The feed is unavailable right now.")));
    live(list, query(kind, tag, limit), limit, lang);
  }
})();
