package dev.actorfarm.launcher;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code farm} executable. */
@Command(
    name = "farm",
    mixinStandardHelpOptions = true,
    version = "ActorFarm 0.1.0",
    description =
        "A render farm that turns a portrait and a narration into a talking-portrait video.",
    subcommands = {
      RenderCommand.class,
      ServeCommand.class,
      SubmitCommand.class,
      DownloadCommand.class,
      NodeCommand.class,
      BrokerCommand.class,
      StatusCommand.class,
      CancelCommand.class,
      PackCommand.class,
      JobControlCommands.Priority.class,
      JobControlCommands.Pause.class,
      JobControlCommands.Resume.class,
      WarmUpCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Farm implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Runs the command line; returns the exit code. */
  public static int execute(String... args) {
    return new CommandLine(new Farm()).execute(args);
  }

  public static void main(String[] args) {
    StartupTimeline.mark("main");
    dev.actorfarm.runtime.NativeLibraries.configure();
    System.exit(execute(args));
  }
}
