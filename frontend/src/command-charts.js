// The command centre's ECharts panels, loaded after the figures and the map are shown
// (see command.js): channels today, top categories, overdue by department, 30-day trend.
// Tooltips are drawn on the canvas (richText), so no label is ever parsed as HTML and the
// page's style policy needs no inline styles.

import { BarChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { t } from "./strings.js";

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

const charts = {};

function chart(id) {
  charts[id] ??= echarts.init(document.getElementById(id), "dark", { renderer: "canvas" });
  return charts[id];
}

const AXIS = { axisLabel: { color: "#9fb3d1" }, splitLine: { lineStyle: { color: "#1d3557" } } };
// Axes of counts step by whole numbers: there is no half a case.
const COUNT_AXIS = { type: "value", minInterval: 1, ...AXIS };

/** A chart with nothing to show says so in words (暂无数据) instead of an empty frame. */
function showEmpty(id, empty) {
  document.getElementById(`${id}-empty`).hidden = !empty;
}

/** A ranked list as horizontal bars, largest on top; `unnamed` labels an empty key. */
function bars(tallies, unnamed, color) {
  return {
    backgroundColor: "transparent",
    tooltip: { renderMode: "richText" },
    grid: { left: 110, right: 16, top: 8, bottom: 24 },
    xAxis: COUNT_AXIS,
    yAxis: {
      type: "category",
      inverse: true,
      data: tallies.map((item) => item.label || unnamed),
      axisLabel: { color: "#cfe0f5", width: 100, overflow: "truncate" },
    },
    series: [{ type: "bar", itemStyle: { color }, data: tallies.map((item) => item.count) }],
  };
}

function draw(picture) {
  const total = (items, key = "count") => items.reduce((sum, item) => sum + item[key], 0);
  showEmpty("chart-channels", total(picture.by_channel_today) === 0);
  showEmpty("chart-categories", picture.top_categories.length === 0);
  showEmpty("chart-departments", picture.overdue_by_department.length === 0);
  showEmpty("chart-trend", total(picture.trend, "reported") + total(picture.trend, "closed") === 0);
  chart("chart-channels").setOption({
    backgroundColor: "transparent",
    tooltip: { trigger: "item", renderMode: "richText" },
    series: [
      {
        type: "pie",
        radius: ["40%", "70%"],
        data: picture.by_channel_today.map((item) => ({
          name: t(`page.desk.channel.${item.key}`),
          value: item.count,
        })),
      },
    ],
  });
  chart("chart-categories").setOption(
    bars(picture.top_categories, t("page.command.uncategorised"), "#2386b8"),
  );
  chart("chart-departments").setOption(
    bars(picture.overdue_by_department, t("page.command.centre"), "#e4572e"),
  );
  chart("chart-trend").setOption({
    backgroundColor: "transparent",
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { textStyle: { color: "#cfe0f5" } },
    grid: { left: 40, right: 16, top: 32, bottom: 24 },
    xAxis: { type: "category", data: picture.trend.map((day) => day.day.slice(5)), ...AXIS },
    yAxis: COUNT_AXIS,
    series: [
      { name: t("page.command.reported"), type: "line", smooth: true, data: picture.trend.map((d) => d.reported) },
      { name: t("page.command.closed"), type: "line", smooth: true, data: picture.trend.map((d) => d.closed) },
    ],
  });
}


window.addEventListener("resize", () => {
  for (const instance of Object.values(charts)) instance.resize();
});

window.civicgridCharts = { draw };
