// A model's traffic split over the last minutes: one line per version, in percent, drawn by
// uPlot from the samples the server pushes (one per tick). The chart is rebuilt only when the
// set of versions changes; otherwise new samples are handed to setData.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import type { SplitSample } from '../wire.js';

const WINDOW_S = 300;
const stepped = uPlot.paths.stepped?.({ align: 1 });

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563'];

function seriesOf(
  model: string,
  samples: readonly SplitSample[],
): { versions: string[]; data: uPlot.AlignedData } {
  const versions = [...new Set(samples.flatMap((s) => Object.keys(s.models[model] ?? {})))].sort();
  const xs = samples.map((s) => s.t / 1000);
  const ys = versions.map((v) => samples.map((s) => s.models[model]?.[v] ?? null));
  return { versions, data: [xs, ...ys] as uPlot.AlignedData };
}

/**
 * Whether the element is on screen (or near it). Charts off screen are neither built nor fed:
 * building one measures the page, which would lay out every off-screen model card.
 */
function useVisible(ref: { current: Element | null }): boolean {
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    if (!ref.current) return;
    const io = new IntersectionObserver((entries) => setVisible(entries.some((e) => e.isIntersecting)), {
      rootMargin: '200px',
    });
    io.observe(ref.current);
    return () => io.disconnect();
  }, []);
  return visible;
}

export function SplitChart(props: { model: string; samples: readonly SplitSample[] }) {
  const host = useRef<HTMLDivElement>(null);
  const chart = useRef<{ plot: uPlot; key: string } | undefined>(undefined);
  const visible = useVisible(host);
  const { versions, data } = seriesOf(props.model, props.samples);
  const key = versions.join(',');

  useEffect(() => {
    if (!host.current || !visible) return;
    if (chart.current?.key !== key) {
      chart.current?.plot.destroy();
      const plot = new uPlot(
        {
          width: 520,
          height: 150,
          legend: { show: true },
          // The last five minutes, whatever the samples cover.
          scales: { x: { range: (_u, _min, max) => [max - WINDOW_S, max] }, y: { range: [0, 100] } },
          axes: [{}, { values: (_u, ticks) => ticks.map((t) => `${t}%`) }],
          series: [
            {},
            // A split changes in steps (one revision to the next), never gradually.
            ...versions.map((v, i) => ({
              label: v,
              stroke: COLORS[i % COLORS.length]!,
              width: 2,
              paths: stepped,
            })),
          ],
        },
        data,
        host.current,
      );
      chart.current = { plot, key };
    } else chart.current.plot.setData(data);
  });
  useEffect(() => () => chart.current?.plot.destroy(), []);

  const last = props.samples.at(-1)?.models[props.model] ?? {};
  return html`<figure class="split">
    <div ref=${host} class="chart"></div>
    <figcaption data-split=${props.model}>${versions.map(
      (v) => html`<span data-version=${v} data-share=${last[v] ?? ''}>${v}: ${last[v] ?? '-'}%</span> `,
    )}</figcaption>
  </figure>`;
}
