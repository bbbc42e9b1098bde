// Progressive enhancement only: every page works without it.
// Asks before destructive actions (forms with data-confirm) and lets one checkbox select a column.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
document.addEventListener("change", (event) => {
  const name = event.target.dataset && event.target.dataset.selectAll;
  if (!name) return;
  for (const box of document.querySelectorAll(`input[type=checkbox][name="${name}"]`)) {
    box.checked = event.target.checked;
  }
});
// An import's progress bar follows the import; once it ends, the page is loaded again with the report.
const progress = document.querySelector("progress[data-progress]");
if (progress && !progress.dataset.done) {
  const follow = async () => {
    try {
      const answer = await fetch(progress.dataset.progress, { headers: { Accept: "application/json" } });
      if (answer.ok) {
        const state = await answer.json();
        progress.max = Math.max(state.total, 1);
        progress.value = state.processed;
        progress.textContent = `${state.percent}%`;
        for (const count of document.querySelectorAll("[data-count]")) {
          count.textContent = state[count.dataset.count];
        }
        if (state.finished || state.stalled) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // A failed poll (the node restarting, the network) is retried on the next tick.
    }
    window.setTimeout(follow, 1000);
  };
  window.setTimeout(follow, 500);
}
