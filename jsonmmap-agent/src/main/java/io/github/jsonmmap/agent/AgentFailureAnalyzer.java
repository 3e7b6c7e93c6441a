package io.github.jsonmmap.agent;

import io.github.jsonmmap.JsonMmapException;
import io.github.jsonmmap.WriterLockedException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains the start-up failures an operator of the agent will meet, naming what to change. */
public class AgentFailureAnalyzer extends AbstractFailureAnalyzer<JsonMmapException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, JsonMmapException cause) {
    if (cause instanceof WriterLockedException) {
      return new FailureAnalysis(
          "The agent could not become the writer of its file: " + cause.getMessage(),
          "Stop the other writer, or run this agent as a standby that takes over when the writer"
              + " goes away: --jsonmmap.agent.role=auto",
          cause);
    }
    return new FailureAnalysis(
        "The agent could not open its file: " + cause.getMessage(),
        "Check --jsonmmap.agent.file: its directory must be private to the agent's user (not"
            + " writable by others) and the file a jsonmmap file or absent.",
        cause);
  }
}
