package dev.baton.server.testing;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Debian's headless Chromium driven by Playwright, offline: no browser download, the
 * system's {@code /usr/bin/chromium}, and flags that keep it off the network. Starting
 * Playwright costs seconds (it unpacks its driver), so open one per test class.
 */
public final class Browser implements AutoCloseable {
    /** Where {@link #screenshot} saves, relative to the module (surefire's working directory). */
    public static final Path SCREENSHOTS = Paths.get("target", "screenshots");
    /**
     * Where {@link Tab#screenshot} also saves when the tests run with {@code -Dbaton.docs.screenshots=true}
     * (.ci/screenshots.sh does): the repository's docs/screenshots/, so the pictures in the docs are the
     * tests' own. Null when off (the default), so a plain build leaves the work tree as it was.
     */
    public static final Path DOCS_SCREENSHOTS = Boolean.getBoolean("baton.docs.screenshots") ? repository().resolve("docs").resolve("screenshots") : null;
    private static final Path CHROMIUM = Paths.get(System.getProperty("baton.chromium", "/usr/bin/chromium"));

    private final Playwright playwright;
    private final com.microsoft.playwright.Browser chromium;

    private Browser(Playwright playwright, com.microsoft.playwright.Browser chromium) {
        this.playwright = playwright;
        this.chromium = chromium;
    }

    /**
     * How long a Playwright assertion waits for its condition. Playwright's 5 s default is too short
     * when the 2-core machine runs several builds at once; a real failure only takes longer to report.
     */
    public static final double ASSERTION_TIMEOUT_MS = 15_000;

    public static Browser launch() {
        return launch(List.of());
    }

    /** With more Chromium flags, e.g. {@code --host-resolver-rules=MAP some.name 127.0.0.1}. */
    public static Browser launch(List<String> moreArgs) {
        com.microsoft.playwright.assertions.PlaywrightAssertions.setDefaultAssertionTimeout(ASSERTION_TIMEOUT_MS);
        if (!Files.isExecutable(CHROMIUM)) {
            throw new IllegalStateException(CHROMIUM + " is missing: apt-get install -y --no-install-recommends chromium (.ci/run does)");
        }
        Playwright playwright = Playwright.create(new Playwright.CreateOptions()
                .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        try {
            var chromium = playwright.chromium().launch(new BrowserType.LaunchOptions()
                    .setExecutablePath(CHROMIUM)
                    .setHeadless(true)
                    .setArgs(java.util.stream.Stream.concat(java.util.stream.Stream.of("--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"),
                            moreArgs.stream()).toList()));
            return new Browser(playwright, chromium);
        } catch (RuntimeException e) {
            playwright.close();
            throw e;
        }
    }

    /** A fresh page (its own cookies and storage) whose console errors and dialogs are recorded (dismissed unless {@link Tab#acceptDialogs}). */
    public Tab open(String baseUrl) {
        BrowserContext context = chromium.newContext(new com.microsoft.playwright.Browser.NewContextOptions()
                .setBaseURL(baseUrl).setViewportSize(1400, 900));
        Page page = context.newPage();
        Tab tab = new Tab(context, page);
        page.onConsoleMessage(m -> {
            if ("error".equals(m.type())) tab.errors.add(m.text());
        });
        page.onPageError(e -> tab.errors.add("page error: " + e));
        page.onDialog(d -> {
            tab.dialogs.add(d.type() + ": " + d.message());
            if (tab.acceptDialogs) d.accept();
            else d.dismiss();
        });
        return tab;
    }

    /** A page with what it reported: console errors (CSP violations among them) and dialogs. */
    public static final class Tab implements AutoCloseable {
        public final BrowserContext context;
        public final Page page;
        public final List<String> errors = Collections.synchronizedList(new ArrayList<>());
        public final List<String> dialogs = Collections.synchronizedList(new ArrayList<>());
        /** Whether a dialog (a confirm()) is answered OK rather than Cancel. */
        public volatile boolean acceptDialogs;

        Tab(BrowserContext context, Page page) {
            this.context = context;
            this.page = page;
        }

        /**
         * Saves a full-page PNG under target/screenshots/ (and docs/screenshots/ with
         * {@code -Dbaton.docs.screenshots=true}) and returns its path under target/.
         */
        public Path screenshot(String name) {
            Path file = SCREENSHOTS.resolve(name + ".png");
            byte[] png = page.screenshot(new Page.ScreenshotOptions().setPath(file).setFullPage(true));
            if (DOCS_SCREENSHOTS != null) {
                try {
                    Files.createDirectories(DOCS_SCREENSHOTS);
                    Files.write(DOCS_SCREENSHOTS.resolve(name + ".png"), png);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return file;
        }

        @Override
        public void close() {
            context.close();
        }
    }

    /** The repository's root: the first directory up from the working directory (the module) that holds .ci/. */
    private static Path repository() {
        Path dir = Paths.get("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve(".ci"))) return d;
        }
        throw new IllegalStateException("no .ci/ folder above " + dir + ": where is the repository's docs/?");
    }

    @Override
    public void close() {
        try {
            chromium.close();
        } finally {
            playwright.close();
        }
    }
}
