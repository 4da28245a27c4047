// The mediator's desk (矛盾纠纷调处): disputes of the area or assigned to me, each
// with its masked parties, the triage score with every factor shown, sessions,
// the agreement and its document, referral, follow-up and closing.

import "./desk.css";
import "./admin.css";
import { showSimilarDisputes } from "./consult-panel.js";
import { clearErrors, showError, showFailure } from "./forms.js";
import { button, element, fillTable } from "./lib/dom.js";
import { send } from "./lib/http.js";
import { placeSearch } from "./lib/place-search.js";
import { regionPicker, showRegion } from "./lib/region-picker.js";
import { chinaInputToIso, formatTime } from "./lib/time.js";
import { readJson, t } from "./strings.js";

const config = readJson("mediation-config");
// Where each status may go next, as the page offers it (the server's table decides).
const NEXT = {
  mediating: ["failed"],
  failed: ["referred"],
  agreed: ["judicial_confirmation_requested", "closed"],
  judicial_confirmation_requested: ["closed"],
  referred: ["closed"],
};
let mine = config.isMediator;
let open = null;

function failed() {
  return t("page.mediation.failed");
}

function path(number, rest = "") {
  return `/api/v1/disputes/${encodeURIComponent(number)}${rest}`;
}

async function loadList() {
  const disputes = await send("GET", `/api/v1/disputes?mine=${mine}`);
  fillTable(
    "disputes-table",
    disputes.map((dispute) => [
      button(dispute.number, () => openDispute(dispute.number), "link-button"),
      t(`dispute.kind.${dispute.kind}`),
      t(`page.mediation.status.${dispute.status}`),
      named(dispute.mediator_name, dispute.mediator),
    ]),
  );
  document.getElementById("disputes-empty").hidden = disputes.length !== 0;
}

/** A name with the code or username behind it on hover; the code alone when no name is known. */
function named(name, code) {
  if (!code) return "—";
  const node = element("span", "named", name || code);
  node.title = code;
  return node;
}

function facts(dispute) {
  const list = document.getElementById("detail-facts");
  const pairs = [
    ["page.mediation.col.kind", t(`dispute.kind.${dispute.kind}`)],
    ["page.mediation.source", t(`page.mediation.source.${dispute.source}`)],
    ["page.mediation.case", dispute.case_number ?? "—"],
    ["page.mediation.region", named(dispute.region_name, dispute.region_code)],
    ["page.mediation.amount", dispute.amount],
    ["page.mediation.people", dispute.people_involved],
    ["page.mediation.col.mediator", named(dispute.mediator_name, dispute.mediator)],
    ["page.mediation.assignment", dispute.assignment_reason || "—"],
  ];
  list.replaceChildren(
    ...pairs.flatMap(([label, value]) => {
      const term = document.createElement("dt");
      term.textContent = t(label);
      const detail = document.createElement("dd");
      detail.append(value instanceof Node ? value : String(value));
      return [term, detail];
    }),
  );
}

function showTriage(triage) {
  document.getElementById("triage-score").textContent = t("page.mediation.triage.score", {
    score: triage.score,
    threshold: triage.threshold,
  });
  fillTable(
    "triage-table",
    triage.factors.map((factor) => {
      const evidence = factor.evidence.length ? `（${factor.evidence.join("、")}）` : "";
      return [
        t(`page.mediation.factor.${factor.name}`) + evidence,
        factor.value,
        factor.weight,
        factor.contribution,
      ];
    }),
  );
}

function showActions(dispute) {
  for (const form of document.querySelectorAll("#actions form")) {
    form.hidden = !form.dataset.when.split(" ").includes(dispute.status);
    clearErrors(form);
  }
  const select = document.getElementById("move-to");
  select.replaceChildren(
    ...(NEXT[dispute.status] ?? []).map(
      (status) => new Option(t(`page.mediation.status.${status}`), status),
    ),
  );
  const link = document.getElementById("agreement-link");
  link.hidden = !dispute.has_agreement_document;
  link.querySelector("a").href = path(dispute.number, "/agreement.docx");
}

async function openDispute(number) {
  const [dispute, triage, history] = await Promise.all([
    send("GET", path(number)),
    send("GET", path(number, "/triage")).catch(() => null),
    send("GET", path(number, "/history")),
  ]);
  open = dispute;
  const detail = document.getElementById("detail");
  detail.hidden = false;
  document.getElementById("detail-heading").textContent = dispute.number;
  document.getElementById("detail-status").textContent = t(`page.mediation.status.${dispute.status}`);
  document.getElementById("detail-description").textContent = dispute.description;
  facts(dispute);
  document.getElementById("parties").replaceChildren(
    ...dispute.parties.map((party) => {
      const item = document.createElement("li");
      item.textContent = `${t(`dispute.role.${party.role}`)}：${party.name} ${party.phone ?? ""}`;
      return item;
    }),
  );
  if (triage) showTriage(triage);
  document.getElementById("history").replaceChildren(
    ...history.map((event) => {
      const item = document.createElement("li");
      const note = event.note ? ` — ${event.note}` : "";
      item.append(
        `${formatTime(event.created_at)} ${t(`page.mediation.status.${event.to_status}`)} · `,
        named(event.actor_name, event.actor),
        note,
      );
      return item;
    }),
  );
  showActions(dispute);
  await showSimilarDisputes(dispute.number);
  detail.dataset.state = "ready";
  detail.dataset.status = dispute.status;
}

function values(form) {
  const body = {};
  for (const element of form.elements) {
    if (element.name && element.value.trim() !== "") body[element.name] = element.value.trim();
  }
  return body;
}

function wire(id, submit) {
  const form = document.getElementById(id);
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const missing = [...form.querySelectorAll("[required]")].filter((field) => !field.value.trim());
    for (const field of missing) showError(form, field.name, t("page.mediation.required"));
    if (missing.length) return missing[0].focus();
    try {
      await submit(form, values(form));
      form.reset();
    } catch (error) {
      showFailure(form, error, failed());
    }
  });
}

function party(body, role) {
  const name = body[`${role}_name`];
  const phone = body[`${role}_phone`];
  return { role, name, ...(phone ? { phone } : {}) };
}

/** The register form's place search fills the region a dispute belongs to: its grid, else
 * the community or street the chosen place lies in. */
function wirePlaceSearch() {
  const input = document.getElementById("reg-place");
  if (!input) return;
  const region = document.getElementById("reg-region");
  regionPicker(region);
  placeSearch(input, {
    status: document.getElementById("reg-place-status"),
    onChoose: (hit) => {
      region.value = hit.grid_code ?? hit.region_code;
      showRegion(region);
    },
  });
}

/** The centre's choice of mediator: the area's active ones with their open load. */
async function loadMediators() {
  const select = document.getElementById("assign-mediator");
  if (!select) return;
  const mediators = await send("GET", "/api/v1/disputes/mediators");
  select.append(
    ...mediators
      .filter((mediator) => mediator.active)
      .map(
        (mediator) =>
          new Option(
            t("page.mediation.assign.option", {
              name: mediator.display_name || mediator.username,
              load: mediator.open_disputes,
            }),
            mediator.username,
          ),
      ),
  );
}

function wireForms() {
  wirePlaceSearch();
  wire("assign-form", async (form, body) => {
    await send("POST", path(open.number, "/assign"), body);
    await openDispute(open.number);
    await loadList();
  });
  wire("take-form", async () => {
    await send("POST", path(open.number, "/assign"), {});
    await openDispute(open.number);
    await loadList();
  });
  wire("register-form", async (form, body) => {
    const created = await send("POST", "/api/v1/disputes", {
      kind: body.kind,
      source: "walk_in",
      region_code: body.region_code,
      description: body.description,
      amount: body.amount ?? "0",
      people_involved: Number(body.people_involved ?? 0),
      parties: [party(body, "applicant"), party(body, "respondent")],
    });
    await loadList();
    await openDispute(created.number);
  });
  wire("session-form", async (form, body) => {
    await send("POST", path(open.number, "/sessions"), {
      ...body,
      held_at: chinaInputToIso(body.held_at),
    });
    await openDispute(open.number);
  });
  wire("agreement-form", async (form, body) => {
    await send("POST", path(open.number, "/agreement"), body);
    await openDispute(open.number);
    await loadList();
  });
  wire("move-form", async (form, body) => {
    await send("POST", path(open.number, "/transitions"), body);
    await openDispute(open.number);
    await loadList();
  });
  wire("follow-up-form", async (form, body) => {
    await send("POST", path(open.number, "/follow-ups"), body);
    await openDispute(open.number);
  });
  for (const tab of document.querySelectorAll(".queue-tab")) {
    tab.addEventListener("click", () => {
      mine = tab.dataset.mine === "true";
      for (const other of document.querySelectorAll(".queue-tab")) {
        other.setAttribute("aria-selected", String(other === tab));
      }
      loadList();
    });
  }
}

wireForms();
loadMediators();
loadList().finally(() => {
  document.getElementById("mediation").dataset.state = "ready";
});
