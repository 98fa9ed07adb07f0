/* global document, window */
// The broadcast pages' script; every page works without it.
//
// On the composer (<form data-composer>): the recipient count follows the segment fields (the
// form is posted to data-preview-url, which answers with the count in words), and the chat
// bubbles (rendered by data-text-preview-url) and character counts follow the texts as they are
// typed.
//
// On a broadcast's page (data-progress-url): while it is sending, its progress is asked for every
// 2 seconds (every 10 while it waits for its time); when its status changes, the page is loaded
// again for its buttons.

const composer = document.querySelector("form[data-composer]");
if (composer) setUpComposer(composer);

const progress = document.querySelector("[data-progress-url]");
if (progress && progress.dataset.live === "true") followProgress(progress);

function setUpComposer(form) {
  const summary = form.querySelector("[data-count-summary]");
  const segmentLine = form.querySelector("[data-count-segment]");
  const segmentFields = form.querySelector("[data-segment-fields]");
  const token = form.querySelector("input[name=_csrf]");
  let timer = null;
  // Answers can arrive out of order; only the latest question's answer is shown.
  let asked = 0;

  async function count() {
    const question = ++asked;
    const body = new URLSearchParams(new FormData(form));
    body.delete("action");
    form.querySelector(".recipient-count").setAttribute("aria-busy", "true");
    try {
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST",
        headers: { "x-csrf-token": token ? token.value : "", accept: "application/json" },
        body,
        credentials: "same-origin",
      });
      if (question !== asked) return;
      // Signed out meanwhile, or the server could not answer: the button still works.
      if (!response.headers.get("content-type")?.includes("application/json")) return;
      const answer = await response.json();
      if (answer.ok) {
        summary.textContent = answer.summary;
        segmentLine.textContent = answer.segment;
        form.querySelector(".recipient-count").dataset.recipients = String(answer.recipients);
      } else {
        summary.textContent = Object.values(answer.errors ?? {})[0] ?? "";
        segmentLine.textContent = "";
      }
    } catch {
      // Offline for a moment: keep the last count; the next change asks again.
    } finally {
      if (question === asked) form.querySelector(".recipient-count").removeAttribute("aria-busy");
    }
  }

  function countSoon(delay) {
    clearTimeout(timer);
    timer = setTimeout(count, delay);
  }

  segmentFields?.addEventListener("change", () => countSoon(150));
  segmentFields?.addEventListener("input", (event) => {
    if (event.target.type === "date") countSoon(400);
  });

  const texts = { id: form.querySelector("[name=textId]"), en: form.querySelector("[name=textEn]") };
  const bubbles = { id: form.querySelector("[data-bubble=id]"), en: form.querySelector("[data-bubble=en]") };
  const fallback = form.querySelector("[data-bubble-fallback]");
  let bubbleTimer = null;
  let bubbleAsked = 0;

  function showCounts() {
    if (fallback) fallback.hidden = Boolean(texts.en.value.trim());
    for (const [name, field] of Object.entries({ textId: texts.id, textEn: texts.en })) {
      const counter = form.querySelector(`[data-char-count=${name}]`);
      if (counter) counter.textContent = `(${field.value.length}/${field.maxLength})`;
    }
  }

  function showBubble(bubble, typed, html) {
    if (!typed) bubble.textContent = bubble.dataset.empty;
    else if (typeof html === "string") bubble.innerHTML = html;
    // No answer (offline for a moment): the text as typed, markers and all.
    else bubble.textContent = typed;
  }

  // The bubbles show the texts as participants get them: the server renders *bold*, _italic_ and
  // links with the web chat's renderer, and answers with HTML in which it escaped all the rest.
  async function renderBubbles() {
    const question = ++bubbleAsked;
    const id = texts.id.value.trim();
    const en = texts.en.value.trim();
    let answer = null;
    try {
      const response = await fetch(form.dataset.textPreviewUrl, {
        method: "POST",
        headers: { "x-csrf-token": token ? token.value : "", accept: "application/json" },
        body: new URLSearchParams({ textId: id, textEn: en }),
        credentials: "same-origin",
      });
      if (response.headers.get("content-type")?.includes("application/json")) answer = await response.json();
    } catch {
      answer = null;
    }
    if (question !== bubbleAsked) return;
    const ok = answer && answer.ok;
    showBubble(bubbles.id, id, ok ? answer.id : null);
    showBubble(bubbles.en, en || id, ok ? (en ? answer.en : answer.id) : null);
  }

  function textChanged() {
    showCounts();
    clearTimeout(bubbleTimer);
    bubbleTimer = setTimeout(renderBubbles, 150);
  }

  texts.id.addEventListener("input", textChanged);
  texts.en.addEventListener("input", textChanged);
  // The server drew the bubbles with the page.
  showCounts();
  // The count shown by the server may be from before a "back": ask again once.
  count();
}

function followProgress(section) {
  // Every 2 seconds while it is sent; a broadcast waiting for its time is looked at less often.
  const interval = section.dataset.status === "sending" ? 2000 : 10000;
  const bar = section.querySelector("[data-progress-bar]");
  const summary = section.querySelector("[data-progress-summary]");
  const details = section.querySelector("[data-progress-details]");
  const tier = section.querySelector("[data-progress-tier]");

  async function poll() {
    try {
      const response = await fetch(section.dataset.progressUrl, {
        headers: { accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.headers.get("content-type")?.includes("application/json")) return;
      const figures = await response.json();
      if (!figures.ok) return;
      if (figures.status !== section.dataset.status) {
        // New status, new buttons: the page as the server draws it now.
        window.location.reload();
        return;
      }
      if (bar) {
        bar.max = Math.max(figures.recipients, 1);
        bar.value = figures.finished;
        bar.textContent = `${figures.percent}%`;
      }
      if (summary) summary.textContent = figures.summary;
      if (details) details.textContent = figures.details;
      if (tier) {
        // WhatsApp's daily messaging limit holds the broadcast back (or no longer does).
        tier.textContent = figures.tierWait || "";
        tier.hidden = !figures.tierWait;
      }
      if (!figures.live) return;
    } catch {
      // A moment offline: try again at the next tick.
    }
    setTimeout(poll, interval);
  }

  setTimeout(poll, interval);
}
