// maildoc serve: a job's form (the check, the domain) posts through fetch, then the page
// follows the job's Server-Sent Events (for a check, one row per server with its dot and its
// steps as they happen; for a domain, each part as it is done) and shows the server-rendered
// result when it is done. Without this script the form posts as usual and the result page
// comes when the job is done.
"use strict";

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function bindPrint(root) {
  for (const b of root.querySelectorAll("button.print")) {
    b.hidden = false;
    b.addEventListener("click", () => window.print());
  }
  // The report for support, copied to the clipboard (a local address may use it).
  if (!navigator.clipboard) return;
  for (const b of root.querySelectorAll("button.copy")) {
    b.hidden = false;
    b.addEventListener("click", async () => {
      const answer = await fetch(b.dataset.copy, { credentials: "same-origin" });
      if (!answer.ok) return;
      await navigator.clipboard.writeText(await answer.text());
      b.textContent = b.dataset.copied;
    });
  }
}

function follow(form, job) {
  const live = document.getElementById("live");
  const results = document.getElementById("results");
  live.hidden = false;
  live.replaceChildren(el("p", "note", live.dataset.running));
  results.removeAttribute("data-state");
  results.replaceChildren();
  const rows = new Map();
  const list = el("ul", "servers");
  live.append(list);
  const source = new EventSource(job.events);
  source.addEventListener("planned", (m) => {
    const d = JSON.parse(m.data);
    for (const s of d.servers) {
      const row = el("li", "server");
      row.dataset.server = s.protocol;
      row.dataset.host = s.host;
      row.dataset.status = "running";
      const dot = el("span", "dot");
      dot.setAttribute("aria-hidden", "true");
      row.append(dot, " ", el("strong", "state", d.running), " ", el("span", "endpoint", s.endpoint));
      const steps = el("ol", "steps-live");
      row.append(steps);
      rows.set(s.id, { row, steps });
      list.append(row);
    }
  });
  source.addEventListener("step", (m) => {
    const d = JSON.parse(m.data);
    const r = rows.get(d.server);
    if (r) r.steps.append(el("li", "", d.label + " — " + d.elapsed_ms + " ms"));
  });
  const parts = el("ul", "parts");
  live.append(parts);
  source.addEventListener("domain-part", (m) => {
    const d = JSON.parse(m.data);
    parts.append(el("li", "", "✓ " + d.label + " — " + d.elapsed_ms + " ms"));
  });
  source.addEventListener("server-done", (m) => {
    const d = JSON.parse(m.data);
    const r = rows.get(d.server);
    if (!r) return;
    r.row.dataset.status = d.status;
    r.row.querySelector(".state").textContent = d.word;
  });
  const end = () => {
    source.close();
    live.hidden = true;
    live.replaceChildren();
    form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = false; });
  };
  source.addEventListener("done", (m) => {
    end();
    results.innerHTML = JSON.parse(m.data).html;
    results.dataset.state = "done";
    bindPrint(results);
    results.scrollIntoView({ block: "start" });
  });
  source.addEventListener("failed", (m) => {
    end();
    const box = el("div", "error");
    box.setAttribute("role", "alert");
    box.append(el("p", "", JSON.parse(m.data).message));
    results.replaceChildren(box);
    results.dataset.state = "done";
  });
  source.onerror = () => { if (source.readyState === EventSource.CLOSED) end(); };
}

function start() {
  bindPrint(document);
  const form = document.querySelector("form[data-live]");
  if (!form) return;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const buttons = form.querySelectorAll("button[type=submit]");
    const enable = () => buttons.forEach((b) => { b.disabled = false; });
    buttons.forEach((b) => { b.disabled = true; });
    const data = new FormData(form);
    // The button pressed says which job (a check, or a round trip).
    if (ev.submitter && ev.submitter.name) data.append(ev.submitter.name, ev.submitter.value);
    const body = new URLSearchParams(data);
    const password = form.querySelector("input[name=password]");
    if (password) password.value = "";
    let answer;
    try {
      answer = await fetch(form.action, {
        method: "POST",
        headers: { "Accept": "application/json" },
        body,
        credentials: "same-origin",
      });
    } catch (e) {
      enable();
      return;
    }
    const kind = answer.headers.get("content-type") || "";
    if (answer.status === 202) {
      follow(form, await answer.json());
    } else if (kind.startsWith("application/json")) {
      const results = document.getElementById("results");
      const box = el("div", "error");
      box.setAttribute("role", "alert");
      box.append(el("p", "", (await answer.json()).error));
      results.replaceChildren(box);
      enable();
    } else {
      // A refusal as a page (busy, forbidden): its message in place of the result.
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const box = page.querySelector(".error");
      const results = document.getElementById("results");
      if (box) results.replaceChildren(document.importNode(box, true));
      enable();
    }
  });
}

document.addEventListener("DOMContentLoaded", start);
