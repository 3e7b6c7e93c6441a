package io.github.jsonmmap.agent;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/** Entry point of the executable jar {@code jsonmmap-agent.jar}. */
@SpringBootApplication
@EnableConfigurationProperties(AgentProperties.class)
public class AgentApplication {

  /** Starts the agent; properties come from the command line ({@code --jsonmmap.agent.*}). */
  public static void main(String[] args) {
    SpringApplication.run(AgentApplication.class, args);
  }
}
