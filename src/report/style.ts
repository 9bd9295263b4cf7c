/** The report's stylesheet (inline; system fonts only, nothing fetched). */
export const STYLE = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
header { padding: 16px 32px 10px; border-bottom: 1px solid var(--line); background: var(--bg); }
h1 { margin: 0 0 6px; font-size: 24px; }
h1 small { font-size: 14px; font-weight: normal; color: var(--muted); }
nav a { color: #0969da; text-decoration: none; font-size: 14px; }
main { max-width: 1120px; padding: 0 32px 32px; }
section { margin-top: 28px; }
.top { display: flex; flex-wrap: wrap; gap: 0 40px; align-items: flex-start; }
.top > section { flex: 0 1 auto; min-width: 0; }
.top > section#scores { flex: 1 1 560px; }
h2 { font-size: 19px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
thead th, table.kv th { background: var(--bg); font-weight: 600; }
td { font-variant-numeric: tabular-nums; }
td code, table.scores td { white-space: nowrap; }
code, pre, .diff { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 13px; }
.note { color: var(--muted); margin: 6px 0; }
.status { font-weight: 600; padding: 1px 8px; border-radius: 10px; background: #ddf4ff; }
.status.completed { background: #dafbe1; } .status.budget-exhausted { background: #fff8c5; }
.status.failed, .status.stopped, .status.incomplete { background: #ffebe9; }
.tag { font-size: 12px; padding: 0 6px; border-radius: 8px; background: #ddf4ff; }
.tag.seed { background: #fff8c5; }
.via { color: var(--muted); font-size: 12px; }
figure.chart { margin: 12px 0; }
figure.chart svg { max-width: 100%; height: auto; }
.diff { border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
.dl { white-space: pre-wrap; word-break: break-word; padding: 0 10px; }
.dl .sign { display: inline-block; width: 1.4em; color: var(--muted); user-select: none; }
.dl.add { background: #e6ffec; } .dl.del { background: #ffebe9; }
.dl ins { background: #abf2bc; text-decoration: none; } .dl del { background: #ffb3ad; text-decoration: none; }
pre.harness { white-space: pre-wrap; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 12px; }
.reason { white-space: pre-wrap; }
footer { color: var(--muted); font-size: 12px; padding: 12px 32px 24px; }
`;
