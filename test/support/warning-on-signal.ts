// Preloaded into a service process by tests: emits a Node warning on SIGUSR2,
// so a test can check where Node's warnings end up without provoking a real one.
process.on("SIGUSR2", () => {
  process.emitWarning("a warning on request", { type: "TestWarning", code: "AGENT_TEST" });
});
