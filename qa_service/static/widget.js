/* Grounded QA chat widget: the browser end of the flow, embedded with one <script> tag.
 * It posts questions to /ask/stream, renders the streamed answer with its citations, and keeps
 * the conversation in sessionStorage. Plain JS, no dependencies, everything in a shadow root.
 * Safety rule: strings from the server or the user only ever reach the DOM as text nodes or
 * attribute values; this file never assigns markup. */
(() => {
  "use strict";
  const script =
    document.currentScript || document.querySelector('script[src*="widget.js"][data-api]');
  if (!script) return;
  const cfg = script.dataset;
  const API = (cfg.api || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  // A read key (RAG_READ_API_KEYS), never an admin one: anyone can read it in the page.
  const AUTH = cfg.apiKey ? { Authorization: "Bearer " + cfg.apiKey } : {};
  const seen = (window.__qaWidgets = window.__qaWidgets || new Set());
  if (seen.has(API)) return; // the tag was included twice
  seen.add(API);

  const KEY = "qa-widget:" + API;
  const MAX_Q = 1000, MAX_TURNS = 20, MAX_TURN = 4000, MAX_BODY = 60000; // server limits
  const IDLE_MS = Number(cfg.timeout) > 0 ? Number(cfg.timeout) : 30000;
  const TITLE = cfg.title || "Ask the documents";
  const LEFT = cfg.position === "bottom-left";
  const NS = "http://www.w3.org/2000/svg";
  const ICONS = {
    chat: "M21 11.5a8.4 8.4 0 0 1-12.2 7.5L3 20.5l1.6-5A8.4 8.4 0 1 1 21 11.5z",
    close: "M6 6l12 12M18 6L6 18",
    send: "M12 19V5M5.5 11.5L12 5l6.5 6.5",
    stop: "M8 8h8v8H8z",
    clear: "M4 7h16M9 7V4.5h6V7M6.5 7l1 13h9l1-13",
    info: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 11v5M12 7.5v.5",
    alert: "M12 3.5L2.5 20h19L12 3.5zM12 10v4.5M12 17.5v.5",
  };
  const STYLE = `
:host{all:initial!important;display:block!important;position:static!important}
.w{--accent:#2563eb;--ink:#fff;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2937;-webkit-font-smoothing:antialiased}
:where(.w *){box-sizing:border-box;margin:0;padding:0;font:inherit;color:inherit;letter-spacing:normal;text-transform:none}
[hidden]{display:none!important}
button{cursor:pointer;border:0;background:none;-webkit-appearance:none;appearance:none}
button:disabled{cursor:default;opacity:.55}
:focus{outline:none}
:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
svg{width:18px;height:18px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round;flex:none}
.launcher{position:fixed;bottom:20px;right:20px;z-index:2147483000;width:56px;height:56px;border-radius:50%;display:grid;place-items:center;background:var(--accent);color:var(--ink);box-shadow:0 6px 20px rgba(17,24,39,.22),0 2px 6px rgba(17,24,39,.12);transition:transform .15s}
.launcher:hover{transform:translateY(-1px)}
.launcher:focus-visible{outline:3px solid var(--accent);outline-offset:3px}
.launcher svg{width:26px;height:26px}
.left .launcher{right:auto;left:20px}
.panel{position:fixed;bottom:88px;right:20px;z-index:2147483001;width:380px;height:min(620px,calc(100vh - 112px));display:flex;flex-direction:column;background:#fff;border:1px solid rgba(17,24,39,.08);border-radius:16px;overflow:hidden;box-shadow:0 16px 48px rgba(17,24,39,.18),0 2px 8px rgba(17,24,39,.08);animation:in .16s ease-out}
.left .panel{right:auto;left:20px}
@keyframes in{from{opacity:0;transform:translateY(8px)}}
header{display:flex;align-items:center;gap:4px;padding:12px 10px 12px 14px;border-bottom:1px solid #eef0f3}
.logo{width:34px;height:34px;margin-right:6px;border-radius:50%;display:grid;place-items:center;background:var(--accent);color:var(--ink)}
.titles{flex:1;min-width:0}
h2{font-size:15px;font-weight:650;color:#111827;line-height:1.3;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.sub{font-size:12px;color:#4b5563}
.icon{width:34px;height:34px;border-radius:8px;display:grid;place-items:center;color:#4b5563}
.icon:hover{background:#f3f4f6;color:#111827}
.log{flex:1;overflow-y:auto;padding:16px 14px;display:flex;flex-direction:column;gap:14px;background:#f8fafc;scrollbar-width:thin}
.empty{margin:auto 8px;text-align:center;color:#4b5563;font-size:13px}
.empty b{display:block;color:#111827;font-size:14px;font-weight:600;margin-bottom:4px}
.turn{display:flex;flex-direction:column;gap:8px}
.bubble{max-width:88%;padding:9px 13px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}
.user{align-self:flex-end;background:var(--accent);color:var(--ink);border-bottom-right-radius:4px}
.bot{align-self:flex-start;max-width:94%;background:#fff;border:1px solid #e5e7eb;border-bottom-left-radius:4px;box-shadow:0 1px 2px rgba(17,24,39,.05)}
.chip{display:inline-grid;place-items:center;min-width:17px;height:17px;padding:0 5px;margin:0 1px 0 2px;border-radius:999px;background:var(--accent);color:var(--ink);font-size:10.5px;font-weight:700;line-height:1;position:relative;top:-.5em;vertical-align:baseline;transition:filter .1s}
.chip:hover,.chip[aria-expanded=true]{filter:brightness(.88)}
.chip:focus-visible{outline-offset:1px}
.srcs{margin-top:10px;padding-top:8px;border-top:1px dashed #e5e7eb;white-space:normal}
.srcs h3{font-size:11px;font-weight:650;text-transform:uppercase;letter-spacing:.05em;color:#4b5563;margin-bottom:4px}
.srcs ol{list-style:none;display:grid;gap:3px}
.srcs li{display:flex;gap:4px;font-size:12.5px;line-height:1.4;color:#374151}
.num{flex:none;margin-right:2px;min-width:18px;height:18px;margin-top:1px;border-radius:999px;border:1px solid #d1d5db;display:grid;place-items:center;font-size:10.5px;font-weight:700;color:#374151}
.st{font-weight:600;color:#111827}
.ss{color:#4b5563}
.short{align-self:flex-start;font-weight:600;background:#eef2ff;border:1px solid #c7d2fe;margin-bottom:4px}
.abstain{background:#fffbeb;border-color:#fcd34d;color:#78350f}
.tag{display:flex;align-items:center;gap:6px;font-size:12px;font-weight:650;margin-bottom:3px}
.tag svg{width:15px;height:15px}
.hint{display:block;margin-top:4px;font-size:12.5px;color:#92400e}
.err{align-self:stretch;display:flex;gap:10px;align-items:flex-start;padding:10px 12px;border-radius:12px;background:#fef2f2;border:1px solid #fecaca;color:#991b1b;font-size:13px;white-space:normal}
.err.stopped{background:#f3f4f6;border-color:#e5e7eb;color:#374151}
.err svg{margin-top:1px}
.err div{flex:1;min-width:0;overflow-wrap:anywhere}
.err b{display:block;font-weight:650}
.retry{flex:none;padding:5px 11px;border-radius:8px;background:#fff;border:1px solid currentColor;font-size:12.5px;font-weight:600;white-space:nowrap}
.retry:hover:not(:disabled){background:#fee2e2}
.partial{color:#4b5563}
.dots{display:inline-flex;gap:4px;padding:4px 0}
.dots i{width:6px;height:6px;border-radius:50%;background:#9ca3af;animation:b 1s infinite ease-in-out}
.dots i:nth-child(2){animation-delay:.15s}.dots i:nth-child(3){animation-delay:.3s}
@keyframes b{0%,80%,100%{opacity:.3;transform:none}40%{opacity:1;transform:translateY(-3px)}}
form{display:flex;gap:8px;align-items:flex-end;padding:10px 12px 4px;border-top:1px solid #eef0f3;background:#fff}
textarea{flex:1;resize:none;min-height:40px;max-height:128px;padding:9px 12px;border:1px solid #d1d5db;border-radius:12px;background:#fff;color:#111827;line-height:1.45;overflow-y:auto}
textarea::placeholder{color:#6b7280;opacity:1}
textarea:focus-visible{outline:none}
textarea:focus{border-color:var(--accent);box-shadow:0 0 0 3px color-mix(in srgb,var(--accent) 22%,transparent)}
.send{width:40px;height:40px;border-radius:50%;display:grid;place-items:center;background:var(--accent);color:var(--ink)}
.send.stop{background:#111827;color:#fff}
.send.stop svg{fill:currentColor}
.foot{padding:2px 12px 9px;font-size:11px;color:#6b7280;text-align:center;background:#fff}
.pop{position:absolute;z-index:3;width:300px;max-width:calc(100% - 24px);max-height:55%;overflow-y:auto;padding:10px 12px;border-radius:10px;background:#111827;color:#f9fafb;font-size:13px;line-height:1.5;box-shadow:0 10px 30px rgba(17,24,39,.3);white-space:pre-wrap;overflow-wrap:anywhere}
.pq{padding-left:9px;border-left:3px solid #6b7280}
.pm{margin-top:7px;font-size:12px;color:#d1d5db}
.pm b{display:block;color:#fff;font-weight:600}
.sr{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px){.panel,.left .panel{inset:0;width:100%;height:100%;max-height:none;border-radius:0;border:0}textarea{font-size:16px}}
@media (prefers-reduced-motion:reduce){.w *{animation:none!important;transition:none!important}}`;

  /* ---------- DOM helpers: text only ---------- */
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (typeof v === "function") el.addEventListener(k, v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    el.append(...kids.filter((k) => k != null && k !== "")); // strings become Text nodes
    return el;
  }
  function icon(name) {
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  /* ---------- state ---------- */
  let turns = []; // {q, a: {text, citations, abstained, query} | null, err, partial, pending}
  let ui = {};
  let isOpen = false;
  let busy = null; // {ctl, turn, why} while a request is in flight
  let hideTimer = 0;
  const els = new WeakMap(); // turn -> its element in the log
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || "{}");
    ui = saved.ui || {};
    turns = (Array.isArray(saved.turns) ? saved.turns : [])
      .filter((t) => t && typeof t.q === "string")
      .map((t) => ({
        q: t.q,
        a: t.a && typeof t.a.text === "string"
          ? { ...t.a, citations: Array.isArray(t.a.citations) ? t.a.citations.map(cleanCitation) : [],
            short: typeof t.a.short === "string" ? t.a.short : "" } : null,
        err: t.a ? null : t.err && typeof t.err === "object" ? t.err
          : fail("Interrupted", "The page was reloaded before the answer finished.", "stopped"),
        partial: typeof t.partial === "string" ? t.partial : "",
      }));
  } catch {
    turns = [];
  }
  function save() {
    const keep = turns.map(({ q, a, err, partial }) => ({ q, a, err, partial }));
    try {
      sessionStorage.setItem(KEY, JSON.stringify({ turns: keep, ui: { open: isOpen } }));
    } catch {
      /* storage full or disabled: the conversation just won't survive a reload */
    }
  }

  /* ---------- build the widget ---------- */
  const host = document.createElement("qa-chat-widget");
  const root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets && window.CSSStyleSheet && "replaceSync" in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
    root.adoptedStyleSheets = [sheet];
  } else root.append(h("style", {}, STYLE));

  const launcher = h("button", {
    type: "button", class: "launcher", "aria-haspopup": "dialog", "aria-controls": "panel",
    "aria-expanded": "false", "aria-label": "Open chat: " + TITLE, click: () => setOpen(!isOpen),
  }, icon("chat"));
  const clearBtn = h("button", { type: "button", class: "icon", "aria-label": "Clear conversation", title: "Clear conversation", click: clear }, icon("clear"));
  const closeBtn = h("button", { type: "button", class: "icon", "aria-label": "Close chat", title: "Close", click: () => setOpen(false) }, icon("close"));
  const log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Conversation", tabindex: "-1" });
  const status = h("div", { class: "sr", role: "status", "aria-live": "polite" });
  const input = h("textarea", {
    rows: "1", maxlength: MAX_Q, "aria-label": "Your question",
    placeholder: cfg.placeholder || "Ask a question…", enterkeyhint: "send",
  });
  const sendBtn = h("button", { type: "submit", class: "send", "aria-label": "Send question" }, icon("send"));
  const form = h("form", { submit: onSubmit }, input, sendBtn);
  const pop = h("div", { class: "pop", role: "tooltip", id: "pop", hidden: true });
  const panel = h("section", {
    class: "panel", id: "panel", role: "dialog", "aria-modal": "true", "aria-labelledby": "t", hidden: true,
    keydown: onPanelKey,
  },
    h("header", {}, h("span", { class: "logo" }, icon("chat")), h("div", { class: "titles" }, h("h2", { id: "t" }, TITLE),
      h("p", { class: "sub" }, "Cited answers from the documents")), clearBtn, closeBtn),
    log, status, form,
    h("p", { class: "foot" }, "Enter to send · Shift+Enter for a new line"),
    pop);
  const wrap = h("div", { class: "w" + (LEFT ? " left" : "") }, launcher, panel);
  root.append(wrap);
  (document.body || document.documentElement).append(host);
  applyAccent(cfg.accent);

  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit ? form.requestSubmit() : onSubmit(e);
    }
  });
  input.addEventListener("input", grow);
  pop.addEventListener("mouseenter", () => clearTimeout(hideTimer));
  pop.addEventListener("mouseleave", () => hidePop(true));
  log.addEventListener("scroll", place);

  paint();
  setOpen(ui.open ?? (cfg.open != null && cfg.open !== "false"), false);

  /* ---------- theming ---------- */
  function applyAccent(value) {
    if (!value || !CSS_ok(value)) return;
    wrap.style.setProperty("--accent", value);
    const rgb = (getComputedStyle(launcher).backgroundColor.match(/[\d.]+/g) || []).map(Number);
    if (rgb.length < 3) return;
    const lum = rgb.slice(0, 3).map((c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    const L = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    const onWhite = 1.05 / (L + 0.05), onDark = (L + 0.05) / 0.0616; // vs #fff and #111827
    wrap.style.setProperty("--ink", onWhite >= onDark ? "#fff" : "#111827");
  }
  function CSS_ok(value) {
    return !window.CSS || !CSS.supports || CSS.supports("color", value);
  }

  /* ---------- open, close, keyboard ---------- */
  function setOpen(open, moveFocus = true) {
    isOpen = open;
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.setAttribute("aria-label", (open ? "Close chat: " : "Open chat: ") + TITLE);
    launcher.replaceChildren(icon(open ? "close" : "chat"));
    if (open) {
      scrollDown(true);
      if (moveFocus) input.focus();
    } else {
      hidePop();
      if (moveFocus) launcher.focus();
    }
    save();
  }
  function onPanelKey(e) {
    if (e.key === "Escape") {
      e.preventDefault();
      if (!pop.hidden) hidePop();
      else setOpen(false);
    } else if (e.key === "Tab") {
      const items = [...panel.querySelectorAll("button,textarea,[href],[tabindex='0']")].filter(
        (el) => !el.disabled && el.getClientRects().length
      );
      if (!items.length) return;
      const first = items[0], last = items[items.length - 1], cur = root.activeElement;
      if (e.shiftKey && (cur === first || !items.includes(cur))) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (cur === last || !items.includes(cur))) {
        e.preventDefault();
        first.focus();
      }
    }
  }
  function grow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 128) + "px";
  }
  function refocus() {
    // Re-rendering can remove the focused button; keep focus inside the open panel.
    if (isOpen && !root.activeElement) input.focus();
  }

  /* ---------- rendering ---------- */
  function paint() {
    hidePop();
    log.replaceChildren(
      ...(turns.length
        ? turns.map(turnEl)
        : [h("div", { class: "empty" }, h("b", {}, "Ask a question about the documents"),
            "Every sentence of an answer cites the passage it comes from.")])
    );
    clearBtn.disabled = !turns.length;
    scrollDown(true);
    refocus();
  }
  function repaint(turn) {
    const old = els.get(turn);
    if (old && old.isConnected) old.replaceWith(turnEl(turn));
    else paint();
    refocus();
  }
  function turnEl(turn) {
    const el = h("div", { class: "turn" }, h("div", { class: "bubble user" }, turn.q));
    // The words that answer a fact question come first, above the sentences that say them.
    if (turn.a && !turn.a.abstained && turn.a.short) {
      el.append(h("div", { class: "bubble short" }, h("span", { class: "sr" }, "Short answer: "), turn.a.short));
    }
    if (turn.a) el.append(answerEl(turn.a));
    else if (turn.pending || turn.partial) {
      const b = h("div", { class: "bubble bot" + (turn.pending ? "" : " partial"), "aria-busy": turn.pending ? "true" : null });
      if (turn.partial) b.append(...answerNodes(turn.partial, turn.citations || [], false));
      else b.append(h("span", { class: "dots", "aria-label": "Answering" }, h("i"), h("i"), h("i")));
      el.append(b);
    }
    if (turn.err) el.append(errorEl(turn));
    els.set(turn, el);
    return el;
  }
  function answerEl(a) {
    if (a.abstained) {
      return h("div", { class: "bubble bot abstain" },
        h("span", { class: "tag" }, icon("info"), "Not in the sources"), a.text,
        h("span", { class: "hint" }, "Try rephrasing, or ask about something the documents cover."));
    }
    const b = h("div", { class: "bubble bot" }, ...answerNodes(a.text, a.citations, true));
    const groups = new Map(); // one line per passage, however many markers point at it
    for (const c of a.citations) {
      const k = c.title + "\n" + c.section, g = groups.get(k) || { c, n: [] };
      if (!g.n.includes(c.marker)) g.n.push(c.marker);
      groups.set(k, g);
    }
    if (groups.size) {
      b.append(h("div", { class: "srcs" }, h("h3", {}, "Sources"),
        h("ol", {}, ...[...groups.values()].map(({ c, n }) => h("li", {},
          ...n.map((m) => h("span", { class: "num", "aria-hidden": "true" }, String(m))),
          h("span", {}, h("span", { class: "sr" }, `Source ${n.join(", ")}: `), h("span", { class: "st" }, c.title),
            c.section ? h("span", { class: "ss", title: c.section }, " · " + c.section.split(" > ").pop()) : null))))));
    }
    return b;
  }
  function answerNodes(text, citations, final) {
    const byMarker = new Map(citations.map((c) => [c.marker, c]));
    const out = [];
    let last = 0;
    for (const m of text.matchAll(/\s*\[(\d+)\]/g)) {
      const n = Number(m[1]), c = byMarker.get(n);
      if (!c && final) continue; // a marker without a citation stays plain text
      out.push(text.slice(last, m.index), chip(n, c));
      last = m.index + m[0].length;
    }
    out.push(text.slice(last));
    return out.filter((x) => x !== "");
  }
  function chip(n, c) {
    const b = h("button", {
      type: "button", class: "chip", "aria-describedby": c ? "pop" : null, "aria-expanded": c ? "false" : null,
      "aria-label": c ? `Source ${n}: ${c.title}${c.section ? ", " + c.section : ""}` : `Source ${n}`,
    }, String(n));
    if (!c) return b;
    const show = () => showPop(b, c);
    b.addEventListener("mouseenter", show);
    b.addEventListener("focus", show);
    b.addEventListener("mouseleave", () => hidePop(true));
    b.addEventListener("blur", () => hidePop());
    b.addEventListener("click", show); // a tap, on touch screens
    return b;
  }
  function showPop(anchor, c) {
    clearTimeout(hideTimer);
    if (pop.owner && pop.owner !== anchor) pop.owner.setAttribute("aria-expanded", "false");
    pop.owner = anchor;
    anchor.setAttribute("aria-expanded", "true");
    pop.replaceChildren(h("p", { class: "pq" }, "“" + c.quote.trim() + "”"),
      h("p", { class: "pm" }, h("b", {}, c.title), c.section || null));
    pop.hidden = false;
    place();
  }
  function place() {
    const anchor = pop.owner;
    if (!anchor) return;
    const a = anchor.getBoundingClientRect(), p = panel.getBoundingClientRect(), l = log.getBoundingClientRect();
    if (a.bottom < l.top || a.top > l.bottom) return hidePop(); // scrolled out of sight
    const w = pop.offsetWidth, ht = pop.offsetHeight;
    const above = a.top - p.top - ht - 8;
    pop.style.left = Math.max(12, Math.min(a.left - p.left - 24, p.width - w - 12)) + "px";
    pop.style.top = (above >= 8 ? above : a.bottom - p.top + 8) + "px";
  }
  function hidePop(later) {
    clearTimeout(hideTimer);
    const hide = () => {
      pop.hidden = true;
      if (pop.owner) pop.owner.setAttribute("aria-expanded", "false");
      pop.owner = null;
    };
    if (later) hideTimer = setTimeout(hide, 200); // time to move the pointer onto the quote
    else hide();
  }
  function errorEl(turn) {
    const e = turn.err, wait = Math.ceil(((e.until || 0) - Date.now()) / 1000);
    const retry = h("button", { type: "button", class: "retry", disabled: wait > 0 || !!busy, "data-wait": wait > 0, click: () => ask(turn) },
      wait > 0 ? `Retry in ${wait} s` : "Retry");
    if (wait <= 0) retry.setAttribute("aria-label", "Retry this question");
    if (wait > 0) setTimeout(() => turns.includes(turn) && turn.err === e && repaint(turn), Math.min(wait, 1) * 1000);
    return h("div", { class: "err" + (e.kind === "stopped" ? " stopped" : ""), role: "alert" },
      icon(e.kind === "stopped" ? "info" : "alert"), h("div", {}, h("b", {}, e.title), e.msg), retry);
  }
  function scrollDown(force) {
    const near = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    if (force || near) log.scrollTop = log.scrollHeight;
  }
  function say(text) {
    status.textContent = text;
  }

  /* ---------- asking ---------- */
  function onSubmit(e) {
    e.preventDefault();
    if (busy) return stop("stop");
    const q = input.value.trim();
    if (!q) return;
    input.value = "";
    grow();
    const turn = { q: q.slice(0, MAX_Q), a: null, err: null, partial: "" };
    turns.push(turn);
    paint();
    ask(turn);
  }
  function stop(why) {
    if (!busy) return;
    busy.why = why;
    busy.ctl.abort();
  }
  function clear() {
    stop("clear");
    turns = [];
    save();
    paint();
    say("Conversation cleared");
    input.focus();
  }
  function setBusy(on) {
    sendBtn.classList.toggle("stop", on);
    sendBtn.setAttribute("aria-label", on ? "Stop answering" : "Send question");
    sendBtn.replaceChildren(icon(on ? "stop" : "send"));
    for (const b of log.querySelectorAll(".retry")) b.disabled = on || b.hasAttribute("data-wait");
  }
  function historyFor(turn) {
    const earlier = [];
    for (const t of turns.slice(0, turns.indexOf(turn))) {
      if (t.a) earlier.push({ role: "user", content: t.q.slice(0, MAX_TURN) }, { role: "assistant", content: t.a.text.slice(0, MAX_TURN) });
    }
    let history = earlier.slice(-MAX_TURNS);
    const size = (hist) => new TextEncoder().encode(JSON.stringify({ question: turn.q, history: hist })).length;
    while (history.length && size(history) > MAX_BODY) history = history.slice(2); // oldest pair first
    return history;
  }
  function fail(title, msg, kind, until) {
    return { title, msg, kind: kind || "error", until: until || 0 };
  }

  async function ask(turn) {
    if (busy) return;
    const ctl = new AbortController();
    const run = (busy = { ctl, turn, why: "" });
    Object.assign(turn, { a: null, err: null, partial: "", citations: null, pending: true });
    repaint(turn);
    save(); // a reload from now on shows the question as interrupted, with a retry button
    scrollDown(true);
    setBusy(true);
    say("Answering…");
    let timer = 0;
    const tick = () => {
      clearTimeout(timer);
      timer = setTimeout(() => stop("timeout"), IDLE_MS);
    };
    tick();
    try {
      const res = await fetch(API + "/ask/stream", {
        method: "POST", mode: "cors", credentials: "omit", signal: ctl.signal,
        headers: { "Content-Type": "application/json", Accept: "text/event-stream", ...AUTH },
        body: JSON.stringify({ question: turn.q, history: historyFor(turn) }),
      });
      if (!res.ok) throw await httpError(res);
      if (!/text\/event-stream/.test(res.headers.get("Content-Type") || "") || !res.body)
        throw fail("Unexpected response", "The service did not send an answer stream. Retry in a moment.");
      for await (const [event, data] of events(res.body, tick)) {
        if (event === "delta") {
          turn.partial += String(data.text ?? "");
          if (Array.isArray(data.citations) && data.citations.length) {
            // A generative answer's checked sentence brings its citations along.
            const known = new Map((turn.citations || []).map((c) => [c.marker, c]));
            for (const c of data.citations.map(cleanCitation)) known.set(c.marker, c);
            turn.citations = [...known.values()];
          }
          updateAnswer(turn);
        } else if (event === "citations") {
          turn.citations = (Array.isArray(data.citations) ? data.citations : []).map(cleanCitation);
          updateAnswer(turn);
        } else if (event === "done") {
          turn.a = {
            text: String(data.answer ?? ""), abstained: !!data.abstained, query: String(data.query ?? ""),
            citations: (Array.isArray(data.citations) ? data.citations : []).map(cleanCitation),
            short: data.short_answer && typeof data.short_answer.text === "string" ? data.short_answer.text : "",
          };
          break;
        } else if (event === "error") {
          throw fail("The answer failed", detailText(data.detail) || "The service could not answer. Retry the question.");
        }
      }
      if (!turn.a) throw fail("The answer was cut off", "The connection closed before the answer was complete.");
    } catch (error) {
      turn.err = error && error.title ? error
        : run.why === "timeout" ? fail("No response", `The service sent nothing for ${Math.round(IDLE_MS / 1000)} s. Retry in a moment.`)
        : run.why ? fail("Stopped", "You stopped this answer.", "stopped")
        : ctl.signal.aborted ? fail("Stopped", "The request was cancelled.", "stopped")
        : await unreachable();
    } finally {
      clearTimeout(timer);
      turn.pending = false;
      busy = null;
      setBusy(false);
      if (turns.includes(turn)) {
        if (turn.a) turn.partial = "";
        save();
        repaint(turn);
        scrollDown(true);
        say(turn.a ? (turn.a.abstained ? "The sources do not answer this question" : "Answer ready")
          : turn.err.title + ". " + turn.err.msg);
      }
    }
  }
  function cleanCitation(c) {
    c = c || {};
    return { marker: Number(c.marker), title: String(c.title ?? ""), section: String(c.section ?? ""),
      quote: String(c.quote ?? ""), doc_id: String(c.doc_id ?? "") };
  }
  function updateAnswer(turn) {
    const bubble = els.get(turn)?.querySelector(".bot");
    if (!bubble) return repaint(turn);
    const focused = root.activeElement && bubble.contains(root.activeElement);
    bubble.replaceChildren(...answerNodes(turn.partial, turn.citations || [], false));
    if (focused) input.focus();
    scrollDown();
  }
  async function* events(body, tick) {
    const reader = body.getReader(), decoder = new TextDecoder();
    let buf = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        tick();
        buf += decoder.decode(value, { stream: true });
        let m;
        while ((m = /\r\n\r\n|\n\n|\r\r/.exec(buf))) {
          const block = buf.slice(0, m.index);
          buf = buf.slice(m.index + m[0].length);
          let event = "message";
          const data = [];
          for (const line of block.split(/\r\n|\n|\r/)) {
            if (!line || line[0] === ":") continue; // keep-alive comment
            const i = line.indexOf(":"), field = i < 0 ? line : line.slice(0, i);
            const val = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
            if (field === "event") event = val;
            else if (field === "data") data.push(val);
          }
          if (!data.length) continue;
          let parsed;
          try {
            parsed = JSON.parse(data.join("\n"));
          } catch {
            throw fail("Unreadable answer", "The service sent a malformed event. Retry the question.");
          }
          yield [event, parsed && typeof parsed === "object" ? parsed : {}];
        }
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }
  /* Down, or refusing this origin (CORS)? Only a CORS refusal fails a cors probe but not a no-cors one. */
  async function unreachable() {
    const probe = (mode) => fetch(API + "/healthz", { mode, credentials: "omit", cache: "no-store" }).then(() => 1, () => 0);
    if (!(await probe("cors")) && (await probe("no-cors")))
      return fail("This site is not allowed to ask", `The service refuses ${location.origin}: its operator must add it to RAG_CORS_ORIGINS.`);
    return fail("Cannot reach the service", "Check your connection, then retry.");
  }
  async function httpError(res) {
    let body = null;
    try {
      body = await res.json();
    } catch {
      /* not JSON: the status alone tells what happened */
    }
    const detail = detailText(body && body.detail);
    const after = res.headers.get("Retry-After");
    let wait = Number(after);
    if (after && isNaN(wait)) wait = (Date.parse(after) - Date.now()) / 1000;
    wait = wait > 0 ? Math.min(Math.ceil(wait), 300) : 0;
    const until = wait ? Date.now() + wait * 1000 : 0;
    const when = wait ? ` You can retry in ${wait} s.` : "";
    if (res.status === 401 || res.status === 403)
      return fail("Access refused", "The page's API key (data-api-key) is missing or wrong.");
    if (res.status === 429) return fail("Too many requests", "The service is busy. Wait a moment, then retry." + when, "error", until);
    if (res.status === 503)
      return fail("The service is not ready", (detail ? detail + ". " : "") + "Retry later." + when, "error", until);
    if (res.status === 413) return fail("Too long", detail || "The question and conversation are too long. Clear the conversation and retry.");
    if (res.status < 500) return fail("The question was not accepted", detail || `The service refused it (HTTP ${res.status}).`);
    return fail("The service failed", detail || `HTTP ${res.status}. Retry in a moment.`);
  }
  function detailText(d) {
    if (typeof d === "string") return d;
    if (Array.isArray(d))
      return d.map((p) => (p && p.field ? String(p.field).replace(/^body\./, "") + ": " : "") + String((p && (p.message || p.msg)) ?? "")).join("; ");
    return "";
  }
})();
