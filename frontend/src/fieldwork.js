// Field work for those who manage grid workers: the month's scores and rankings,
// suspicious records, the workers' plans, and (administrators) the score weights.

import "./admin.css";
import { clearErrors, showFailure } from "./forms.js";
import { fillTable as fill } from "./lib/dom.js";
import { send } from "./lib/http.js";
import { regionName, regionNames } from "./lib/region-names.js";
import { formatTime } from "./lib/time.js";
import { t } from "./strings.js";

function failed() {
  return t("page.fieldwork.failed");
}

async function loadScores(form) {
  const query = new URLSearchParams({ level: form.level.value });
  if (form.month.value) query.set("month", form.month.value);
  const scores = await send("GET", `/api/v1/fieldwork/scores?${query}`);
  const grids = await regionNames(scores.map((score) => score.grid_code));
  fill(
    "scores-table",
    scores.map((score) => [
      score.rank,
      score.display_name || score.username,
      regionName(score.grid_code, grids),
      Object.values(score.counts).reduce((sum, count) => sum + count, 0),
      `${score.done} / ${score.planned}`,
      score.flagged,
      score.total.toFixed(1),
    ]),
  );
}

async function loadFlags() {
  const flags = await send("GET", "/api/v1/fieldwork/flags");
  fill(
    "flags-table",
    flags.map((flag) => [
      formatTime(flag.occurred_at),
      flag.worker,
      t(`fieldwork.task.${flag.task_type}`),
      flag.label,
      flag.distance_m === null ? "" : `${Math.round(flag.distance_m)} m`,
    ]),
  );
}

async function loadPlans(names, tasks) {
  const plans = await send("GET", "/api/v1/fieldwork/plans");
  fill(
    "plans-table",
    plans.map((plan) => {
      const toggle = document.createElement("input");
      toggle.type = "checkbox";
      toggle.checked = plan.active;
      toggle.setAttribute("aria-label", t("page.fieldwork.col.active"));
      toggle.addEventListener("change", async () => {
        await send("PUT", `/api/v1/fieldwork/plans/${plan.id}/active`, { active: toggle.checked });
      });
      return [
        names.get(plan.worker_id) ?? plan.worker_id,
        tasks.get(plan.task_type) ?? plan.task_type,
        t(`page.fieldwork.cadence.${plan.cadence}`),
        plan.times,
        toggle,
      ];
    }),
  );
}

async function loadWeights() {
  const box = document.getElementById("weights-fields");
  if (!box) return;
  const weights = await send("GET", "/api/v1/fieldwork/weights");
  box.replaceChildren(
    ...weights.map((weight) => {
      const field = document.createElement("div");
      field.className = "field";
      field.dataset.field = `weights.${weight.key}`;
      const label = document.createElement("label");
      label.htmlFor = `weight-${weight.key}`;
      label.textContent = weight.label;
      const input = document.createElement("input");
      input.id = `weight-${weight.key}`;
      input.name = weight.key;
      input.type = "number";
      input.min = "0";
      input.step = "0.5";
      input.value = weight.weight;
      field.append(label, input);
      return field;
    }),
  );
}

function wire(id, submit) {
  const form = document.getElementById(id);
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      await submit(form);
    } catch (error) {
      showFailure(form, error, failed());
    }
  });
}

async function boot() {
  const [users, taskTypes] = await Promise.all([
    send("GET", "/api/v1/users").catch(() => []),
    send("GET", "/api/v1/fieldwork/task-types"),
  ]);
  const workers = users.filter((user) => user.role === "grid_worker");
  const names = new Map(workers.map((user) => [user.id, user.display_name || user.username]));
  const tasks = new Map(taskTypes.map((type) => [type.code, type.label]));
  const planForm = document.getElementById("plan-form");
  if (planForm) {
    const grids = await regionNames(workers.map((user) => user.scope_code));
    planForm.worker_id.replaceChildren(
      ...workers.map((user) => {
        const grid = grids.get(user.scope_code)?.name ?? user.scope_code;
        const option = new Option(`${names.get(user.id)}（${grid}）`, user.id);
        option.title = user.scope_code;
        return option;
      }),
    );
    planForm.task_type.replaceChildren(
      ...taskTypes.map((type) => new Option(type.label, type.code)),
    );
  }
  wire("scores-form", loadScores);
  wire("plan-form", async (form) => {
    await send("POST", "/api/v1/fieldwork/plans", {
      worker_id: Number(form.worker_id.value),
      task_type: form.task_type.value,
      cadence: form.cadence.value,
      times: Number(form.times.value),
    });
    await loadPlans(names, tasks);
  });
  wire("weights-form", async (form) => {
    const weights = {};
    for (const input of form.querySelectorAll("input[type=number]")) {
      weights[input.name] = Number(input.value);
    }
    await send("PUT", "/api/v1/fieldwork/weights", { weights });
    await loadWeights();
  });
  await Promise.all([
    loadScores(document.getElementById("scores-form")),
    loadFlags(),
    loadPlans(names, tasks),
    loadWeights(),
  ]);
}

boot().finally(() => {
  document.getElementById("fieldwork").dataset.state = "ready";
});
