package org.diffmmj.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What `--help` shows of each command reads whole. */
class HelpTextTest {

    /**
     * A parent's command list shows the first line of each subcommand's description; one that
     * stops mid-sentence ("... planted latent clusters,") reads as a cut-off summary.
     */
    @Test
    void everyCommandsSummaryLineIsAWholeSentence() {
        List<String> cutOff = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        walk(Main.commandLine(), cutOff, seen);
        assertThat(seen).contains("diffmm train", "diffmm data synth", "diffmm data split", "diffmm reproduce");
        assertThat(cutOff).isEmpty();
    }

    private static void walk(CommandLine cl, List<String> cutOff, List<String> seen) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            String name = sub.getCommandSpec().qualifiedName();
            if (seen.contains(name)) {
                continue;
            }
            seen.add(name);
            String[] description = sub.getCommandSpec().usageMessage().description();
            if (description.length == 0 || !description[0].strip().endsWith(".")) {
                cutOff.add(name + ": " + (description.length == 0 ? "(no description)" : description[0]));
            }
            walk(sub, cutOff, seen);
        }
    }
}
