package org.diffmmj.cli;

import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.diffmmj.io.SavedModel;
import org.diffmmj.recommend.RecommendationService;

@Command(name = "recommend", mixinStandardHelpOptions = true,
        description = {"Top-k items for one user (--user) or many (--users FILE, CSV out), in the data's own ids.",
                "Items the user interacted with in training are left out unless --include-seen."})
public final class RecommendCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "A train --out directory or its model.ckpt.")
    Path model;

    @ArgGroup(multiplicity = "1")
    Who who;

    static final class Who {
        @Option(names = "--user", description = "One user id.")
        String user;
        @Option(names = "--users", description = "A file with one user id per line (a header line 'user' is skipped).")
        Path usersFile;
    }

    @Option(names = {"-k", "--k"}, defaultValue = "20", description = "How many items (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--include-seen", description = "Also rank items the user interacted with in training.")
    boolean includeSeen;

    @Override
    public Integer call() throws Exception {
        if (k < 1) {
            throw new IllegalArgumentException("-k must be >= 1, got " + k);
        }
        try (SavedModel saved = SavedModel.load(model)) {
            RecommendationService service = new RecommendationService(saved, 0);
            if (who.user != null) {
                System.out.println("rank\titem\tscore");
                int rank = 1;
                for (RecommendationService.ScoredItem s : service.recommend(who.user, k, includeSeen)) {
                    System.out.printf("%d\t%s\t%.6f%n", rank++, s.item(), s.score());
                }
                return 0;
            }
            List<String> users = new ArrayList<>();
            try (BufferedReader in = Files.newBufferedReader(who.usersFile, StandardCharsets.UTF_8)) {
                String line;
                while ((line = in.readLine()) != null) {
                    String id = line.trim();
                    if (!id.isEmpty() && !(users.isEmpty() && id.equals("user"))) {
                        users.add(id);
                    }
                }
            }
            System.out.println("user,rank,item,score");
            int unknown = 0;
            for (String user : users) {
                try {
                    int rank = 1;
                    for (RecommendationService.ScoredItem s : service.recommend(user, k, includeSeen)) {
                        System.out.printf("%s,%d,%s,%.6f%n", csv(user), rank++, csv(s.item()), s.score());
                    }
                } catch (RecommendationService.UnknownIdException e) {
                    System.err.println(who.usersFile + ": " + e.getMessage());
                    unknown++;
                }
            }
            return unknown == 0 ? 0 : 3;
        }
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
