/* global document, window, HTMLCanvasElement */
// The impact page's charts, drawn with Chart.js (chart.umd.js, loaded before this file). Each
// <figure data-chart> holds its data as a JSON block (<script type="application/json">, which
// the browser never runs) next to a table with the same numbers: without JavaScript, or for a
// screen reader, the table is the chart. The canvas made here is hidden from screen readers.
//
// The data: { "type": "bar" | "line", "labels": [...], "datasets": [{ "label": "...", "data": [...] }],
//             "stacked": true?, "horizontal": true? }

const palette = ["#0b6e4f", "#f2a900", "#2f6fb0", "#c0392b", "#7d5ba6", "#5b6776"];

for (const figure of document.querySelectorAll("figure[data-chart]")) draw(figure);

function draw(figure) {
  const source = figure.querySelector("script[type='application/json']");
  const box = figure.querySelector(".chart-box");
  if (!source || !box || typeof window.Chart !== "function") return;
  let spec;
  try {
    spec = JSON.parse(source.textContent);
  } catch {
    return;
  }
  const canvas = document.createElement("canvas");
  canvas.setAttribute("aria-hidden", "true");
  box.appendChild(canvas);
  if (!(canvas instanceof HTMLCanvasElement)) return;
  // Shown before drawing, so that Chart.js measures the box it fills.
  figure.classList.add("has-chart");
  const line = spec.type === "line";
  const single = spec.datasets.length === 1;
  new window.Chart(canvas, {
    type: spec.type,
    data: {
      labels: spec.labels,
      datasets: spec.datasets.map((set, i) => ({
        label: set.label,
        data: set.data,
        backgroundColor:
          single && !line ? spec.labels.map((_, j) => palette[j % palette.length]) : palette[i % palette.length],
        borderColor: palette[i % palette.length],
        borderWidth: line ? 2 : 0,
        tension: 0.2,
      })),
    },
    options: {
      indexAxis: spec.horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: !single, position: "bottom" } },
      scales: {
        x: { stacked: Boolean(spec.stacked), beginAtZero: true, ticks: { precision: 0 } },
        y: { stacked: Boolean(spec.stacked), beginAtZero: true, ticks: { precision: 0 } },
      },
    },
  });
}
