package org.legoos.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.legoos.node.config.ConfigKeys;
import org.legoos.node.config.LegoConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lego dashboard}: prints the URL of the manager's web dashboard of a cluster started by {@code lego up},
 * with its access token, from the run directory ({@code DIR/dashboard.url}, and the token file the manager wrote).
 */
@Command(name = "dashboard", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prints the URL (with its access token) of the read-only web dashboard of a cluster started by "
                + "'lego up'. Open it in a browser; the token is then kept in a cookie."})
final class DashboardCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", defaultValue = ".lego",
            description = "Run directory of the cluster (default: ${DEFAULT-VALUE}).")
    Path dir;

    private final Io io;

    DashboardCommand(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() throws Exception {
        RunDir run = new RunDir(dir);
        if (!Files.isRegularFile(run.dashboardUrlFile())) {
            throw new CliException(Lego.EXIT_FAILURE, "no dashboard in " + run.dir() + ": start a cluster with 'lego up"
                    + (dir.equals(Path.of(".lego")) ? "" : " --dir " + dir) + "' (and dashboard.listen not off)");
        }
        Path token = LegoConfig.load(run.configFile()).get(ConfigKeys.DASHBOARD_TOKEN_FILE);
        io.out().println(urlWithToken(run, token));
        return Lego.EXIT_OK;
    }

    /** The dashboard's URL with the token the manager wrote to {@code tokenFile}. */
    static String urlWithToken(RunDir run, Path tokenFile) throws IOException {
        String url = Files.readString(run.dashboardUrlFile(), StandardCharsets.UTF_8).trim();
        try {
            return url + "?token=" + Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException e) {
            throw new CliException(Lego.EXIT_FAILURE, "the manager wrote no dashboard token to " + tokenFile
                    + " (is it running? see 'lego logs manager')");
        }
    }
}
