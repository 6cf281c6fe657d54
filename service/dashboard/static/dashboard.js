// The dashboard's script: keyboard review of the queue, in-place updates, and a training job's progress.
// Written for this service; no library. Every page works without it (forms post and redirect), and it never
// builds HTML from comment text: cards arrive rendered and escaped by the server.
"use strict";

(function () {
  const token = () => document.querySelector('meta[name="csrf-token"]').content;
  const status = document.getElementById("status");

  function say(message) {
    if (!status) return;
    status.replaceChildren();
    const p = document.createElement("p");
    p.textContent = message;
    status.appendChild(p);
  }

  async function post(url, data) {
    const body = new URLSearchParams(data);
    const response = await fetch(url, {
      method: "POST", body, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRF-Token": token()},
    });
    let answer = {};
    try { answer = await response.json(); } catch (e) { answer = {}; }
    if (!response.ok) throw new Error(answer.detail || response.statusText);
    return answer;
  }

  // The queue.
  const cards = document.getElementById("cards");
  if (cards) {
    let current = 0;
    const undoStack = [];
    let loading = false;

    const all = () => Array.from(cards.querySelectorAll(".card"));

    function select(index, scroll = true) {
      const list = all();
      list.forEach((card) => card.classList.remove("current"));
      document.getElementById("empty").hidden = list.length > 0;
      if (!list.length) return;
      current = Math.max(0, Math.min(index, list.length - 1));
      list[current].classList.add("current");
      list[current].setAttribute("aria-current", "true");
      if (scroll) list[current].scrollIntoView({block: "nearest"});
      list[current].focus({preventScroll: true});
    }

    async function loadMore() {
      const more = cards.querySelector(".more");
      if (!more || loading) return;
      loading = true;
      try {
        const response = await fetch(more.dataset.moreUrl, {credentials: "same-origin", headers: {"Accept": "text/html"}});
        if (!response.ok) throw new Error(response.statusText);
        const html = await response.text();
        more.remove();
        // Server-rendered and escaped, like the page itself.
        cards.insertAdjacentHTML("beforeend", html);
      } catch (error) {
        say("Could not load more comments: " + error.message);
      } finally {
        loading = false;
      }
      select(current, false);
    }

    async function act(card, action) {
      if (!card || card.dataset.busy) return;
      card.dataset.busy = "1";
      try {
        // getAttribute: the form has fields named "action", which shadow form.action.
        const answer = await post(card.querySelector("form.actions").getAttribute("action"), {action});
        const index = all().indexOf(card);
        undoStack.push({card, index});
        card.remove();
        say(answer.message + " Press u to undo.");
        select(index);
        if (all().length - index < 5) loadMore();
      } catch (error) {
        say("Not done: " + error.message);
      } finally {
        delete card.dataset.busy;
      }
    }

    async function undo() {
      const last = undoStack.pop();
      if (!last) { say("Nothing to undo."); return; }
      try {
        const answer = await post(last.card.dataset.undoUrl, {});
        const list = all();
        if (last.index < list.length) cards.insertBefore(last.card, list[last.index]);
        else if (cards.querySelector(".more")) cards.insertBefore(last.card, cards.querySelector(".more"));
        else cards.appendChild(last.card);
        say(answer.message);
        select(last.index);
      } catch (error) {
        undoStack.push(last);
        say("Not undone: " + error.message);
      }
    }

    const keys = {a: "approve", r: "reject", s: "spam", t: "toxic"};
    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.target.closest("input, select, textarea, button")) return;
      const list = all();
      if (event.key === "j") { select(current + 1); event.preventDefault(); }
      else if (event.key === "k") { select(current - 1); event.preventDefault(); }
      else if (event.key === "u") { undo(); event.preventDefault(); }
      else if (event.key === "x" && list[current]) {
        const box = list[current].querySelector(".pick");
        box.checked = !box.checked;
        event.preventDefault();
      } else if (keys[event.key] && list[current]) { act(list[current], keys[event.key]); event.preventDefault(); }
    });

    // A click on a card's button does what its key does, without a reload.
    cards.addEventListener("click", (event) => {
      const button = event.target.closest(".actions button");
      if (!button) {
        const card = event.target.closest(".card");
        if (card && !event.target.closest("a, input")) select(all().indexOf(card), false);
        return;
      }
      event.preventDefault();
      act(button.closest(".card"), button.value);
    });

    select(0, false);
  }

  // A training job's progress, polled until it ends; then the page reloads to show the new version.
  const job = document.getElementById("job");
  if (job && (job.dataset.status === "queued" || job.dataset.status === "running")) {
    const started = Date.now();
    const label = job.querySelector(".job-status");
    const timer = setInterval(async () => {
      try {
        const response = await fetch(job.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}});
        const state = await response.json();
        const seconds = Math.round((Date.now() - started) / 1000);
        label.textContent = state.status + (state.status === "running" || state.status === "queued" ? " (" + seconds + " s)" : "");
        job.dataset.status = state.status;
        if (state.status === "succeeded" || state.status === "failed") {
          clearInterval(timer);
          window.location.reload();
        }
      } catch (error) {
        label.textContent = "unknown (" + error.message + ")";
      }
    }, 1000);
  }
})();
