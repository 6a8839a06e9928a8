/**
 * Our report pages (drift, performance, the model page) are single files that load nothing: the
 * CSP forbids scripts and any network fetch. Every page starts with this head.
 */
export const REPORT_CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** The page up to its `<main>`: doctype, CSP, viewport, title (escaped by the caller's escapeHtml), the shared stylesheet plus `css`. */
export function reportPageHead(title: string, css = '', options: { refreshSeconds?: number } = {}): string[] {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${REPORT_CONTENT_SECURITY_POLICY}">`,
    ...(options.refreshSeconds !== undefined ? [`<meta http-equiv="refresh" content="${options.refreshSeconds}">`] : []),
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${title}</title>`,
    `<style>${REPORT_CSS}${css}</style>`,
    '</head><body><main>',
  ];
}

/** The drift report page's stylesheet, inlined so the file needs nothing from the network. */
export const REPORT_CSS = `
:root {
  --ink: #1d2433; --muted: #5f6b7d; --line: #e3e7ee; --panel: #ffffff; --page: #f4f6f9;
  --reference: #4f7cc4; --current: #ef8a2b;
  --drift: #c62828; --drift-bg: #fdecea; --warn: #9a5b00; --warn-bg: #fff4e0; --ok: #2e7d32; --ok-bg: #e8f5e9;
  --error: #6a1b9a; --error-bg: #f3e5f5;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 24px 48px; }
h1 { font-size: 22px; margin: 0; }
h2 { font-size: 17px; margin: 28px 0 10px; }
h3 { font-size: 15px; margin: 0; overflow-wrap: anywhere; }
a { color: #2855a5; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
header.top { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 8px 24px; margin-bottom: 16px; }
header.top nav a { margin-left: 14px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; }

.status { display: flex; align-items: center; gap: 14px; padding: 14px 18px; border-radius: 10px; border: 1px solid; margin-bottom: 14px; }
.status .dot { width: 14px; height: 14px; border-radius: 50%; flex: none; background: currentColor; }
.status strong { font-size: 18px; }
.status-drift { color: var(--drift); background: var(--drift-bg); border-color: #f4c3bf; }
.status-warn { color: var(--warn); background: var(--warn-bg); border-color: #f3d9a8; }
.status-ok { color: var(--ok); background: var(--ok-bg); border-color: #bfe0c1; }
.status p { margin: 0; color: var(--ink); }

.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(210px, 1fr)); gap: 12px; }
.card { padding: 12px 16px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 20px; font-weight: 600; margin-top: 2px; overflow-wrap: anywhere; }
.card .sub { color: var(--muted); font-size: 12.5px; }
.meter { position: relative; height: 8px; background: var(--line); border-radius: 4px; margin: 8px 0 4px; }
.meter .fill { position: absolute; inset: 0 auto 0 0; border-radius: 4px; }
.meter .mark { position: absolute; top: -4px; bottom: -4px; width: 2px; background: var(--ink); }

.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.badge-drift, .sev-critical { color: var(--drift); background: var(--drift-bg); }
.badge-ok { color: var(--ok); background: var(--ok-bg); }
.badge-error { color: var(--error); background: var(--error-bg); }
.sev-warning { color: var(--warn); background: var(--warn-bg); }
.fill-drift { background: var(--drift); } .fill-warn { background: #e39a1c; } .fill-ok { background: var(--ok); }

.findings { padding: 4px 18px 12px; }
.findings h3 { margin: 12px 0 6px; font-size: 14px; }
.findings ul { margin: 0; padding: 0; list-style: none; }
.findings li { display: flex; gap: 10px; align-items: baseline; padding: 5px 0; border-top: 1px solid var(--line); }
.findings li:first-child { border-top: 0; }
.findings .badge { min-width: 62px; text-align: center; flex: none; }
.findings .none { padding: 12px 0 4px; margin: 0; }

.table-wrap { overflow: auto; max-height: 80vh; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 7px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { position: sticky; top: 0; background: #f9fafc; font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; z-index: 1; }
tbody tr:hover { background: #f7f9fc; }
tr.row-drift td:first-child { box-shadow: inset 3px 0 var(--drift); }
tr.row-error td:first-child { box-shadow: inset 3px 0 var(--error); }
td.shifted { color: var(--warn); font-weight: 600; }
td .error-text { color: var(--error); font-size: 12.5px; margin-top: 2px; }

.legend { display: flex; gap: 16px; align-items: center; margin: 0 0 10px; color: var(--muted); font-size: 12.5px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; margin-right: 5px; }
.swatch-reference { background: var(--reference); opacity: .55; } .swatch-current { background: var(--current); opacity: .75; }
.swatch-new { background: var(--drift-bg); border: 1px solid #f4c3bf; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 14px; }
.chart-card { padding: 14px 16px 12px; scroll-margin-top: 12px; }
.chart-card.card-drift { border-color: #f4c3bf; }
.chart-card header { display: flex; justify-content: space-between; gap: 10px; align-items: baseline; }
.chart-card .test { color: var(--muted); font-size: 12.5px; margin: 2px 0 8px; }
.chart-card .stats { color: var(--muted); font-size: 12px; margin-top: 6px; }
.chart-card .notes { margin: 6px 0 0; padding-left: 18px; font-size: 12.5px; }
.chart-card .error-text { color: var(--error); font-size: 12.5px; margin: 4px 0; }
svg.chart { display: block; width: 100%; height: auto; }
svg .bar-reference { fill: var(--reference); fill-opacity: .5; }
svg .bar-current { fill: var(--current); fill-opacity: .55; stroke: var(--current); stroke-width: .8; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .axis { stroke: #9aa4b2; stroke-width: 1; }
svg .tick { fill: var(--muted); font-size: 11px; }
svg .category-label { fill: var(--ink); font-size: 12px; }
svg .category-values { fill: var(--muted); font-size: 11.5px; font-variant-numeric: tabular-nums; }
svg .new-band { fill: var(--drift-bg); }
svg .category-new .category-label, svg .category-new .category-values { fill: var(--drift); font-weight: 700; }
.more-categories { margin-top: 6px; font-size: 12.5px; }
.more-categories summary { cursor: pointer; color: #2855a5; }
.more-categories .scroll { max-height: 220px; overflow: auto; margin-top: 6px; }
.more-categories td, .more-categories th { padding: 3px 8px; }
.more-categories tr.new td { color: var(--drift); font-weight: 600; }
.tag-new { font-size: 10.5px; text-transform: uppercase; background: var(--drift-bg); color: var(--drift); padding: 0 5px; border-radius: 6px; }
footer { margin-top: 28px; color: var(--muted); font-size: 12px; }
@media print { body { background: #fff; } .table-wrap { max-height: none; } }
`;
