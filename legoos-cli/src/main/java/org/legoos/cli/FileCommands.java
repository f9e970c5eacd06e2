package org.legoos.cli;

import org.legoos.eval.ResultTable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import org.legoos.node.cluster.ClusterClient;
import org.legoos.processor.RemoteFileService;
import org.legoos.task.fs.FileService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The file commands on a vNode's file system ({@code lego cp}, {@code ls}, {@code cat}, {@code rm}), through the same
 * stateless file service processes use: names and metadata at the vNode's storage component, data through the
 * buffer cache on its memory component. vNode paths are written {@code VNODE:/path}.
 */
final class FileCommands {
    /** Bytes per read or write request (the file service splits larger ones anyway). */
    static final int CHUNK = 1 << 20;

    private FileCommands() {
    }

    /** A file-service failure as a one-line error naming the vNode path. */
    static CliException failure(VnodePath at, IOException e) {
        String d = Lego.describe(e);
        return new CliException(Lego.EXIT_FAILURE, (d.startsWith("/") ? at.vnode() + ":" : at + ": ") + d);
    }

    /** The entry at {@code p}, or null if there is none. */
    static FileService.Stat statOrNull(FileService fs, VnodePath p) {
        try {
            return fs.stat(p.path());
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw failure(p, e);
        }
    }

    @Command(name = "cp", mixinStandardHelpOptions = true,
            description = {"Copies a file between this machine and a vNode.",
                "One side is VNODE:/path (both may be). If the destination is a directory the file keeps its name; "
                + "missing parent directories in the vNode are created. A progress bar is shown on stderr for large "
                + "copies when stderr is a terminal, and always with --progress."})
    static final class Cp implements Callable<Integer> {
        @Mixin
        ClientOptions client = new ClientOptions();

        @Parameters(index = "0", paramLabel = "SRC", description = "Local file or VNODE:/path.")
        String src;

        @Parameters(index = "1", paramLabel = "DST", description = "Local file or directory, or VNODE:/path.")
        String dst;

        @Option(names = "--progress", description = "Always show the progress bar.")
        boolean progress;

        private final Io io;

        Cp(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws IOException {
            VnodePath from = VnodePath.parse(src);
            VnodePath to = VnodePath.parse(dst);
            if (from == null && to == null) {
                throw new CliException(Lego.EXIT_USAGE, "neither '" + src + "' nor '" + dst
                        + "' is a vNode path: write VNODE:/path for the vNode side, e.g. lego cp data.txt web:/in/data.txt");
            }
            if (from != null && from.path().equals("/")) {
                throw new CliException(Lego.EXIT_USAGE, from + " is a directory (copying directories is not supported)");
            }
            Path local = from == null ? Path.of(src) : to == null ? Path.of(dst) : null;
            if (from == null && Files.isDirectory(local)) {
                throw new CliException(Lego.EXIT_USAGE, src + " is a directory (copying directories is not supported)");
            }
            try (ClusterClient c = client.connect(io)) {
                if (from == null) {
                    try (InputStream in = Files.newInputStream(local)) {
                        upload(c, in, Files.size(local), local.getFileName().toString(), to, dst.endsWith("/"));
                    }
                } else if (to == null) {
                    download(c, from, local);
                } else {
                    copyBetween(c, from, to, dst.endsWith("/"));
                }
            }
            return Lego.EXIT_OK;
        }

        private void upload(ClusterClient c, InputStream in, long size, String name, VnodePath to, boolean intoDirectory) {
            RemoteFileService fs = c.files(to.vnode());
            VnodePath target = to;
            FileService.Stat st = statOrNull(fs, to);
            if ((st != null && st.directory()) || to.path().equals("/")) {
                target = to.child(name);
            } else if (intoDirectory) {
                throw new CliException(Lego.EXIT_FAILURE, to + ": no such directory");
            }
            mkdirs(fs, target);
            Progress bar = Progress.of(io, progress, target.toString(), size);
            byte[] buf = new byte[CHUNK];
            long offset = 0;
            try {
                fs.create(target.path(), false);
                fs.truncate(target.path(), 0);
                int n;
                while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
                    fs.write(target.path(), offset, ByteBuffer.wrap(buf, 0, n));
                    offset += n;
                    bar.advance(n);
                }
                fs.fsync(target.path());
                fs.close(target.path());
            } catch (IOException e) {
                throw failure(target, e);
            } finally {
                bar.finish();
            }
        }

        private void download(ClusterClient c, VnodePath from, Path local) throws IOException {
            RemoteFileService fs = c.files(from.vnode());
            FileService.Stat st = statOrNull(fs, from);
            if (st == null) {
                throw new CliException(Lego.EXIT_FAILURE, from + ": no such file or directory");
            }
            if (st.directory()) {
                throw new CliException(Lego.EXIT_USAGE, from + " is a directory (copying directories is not supported)");
            }
            Path target = Files.isDirectory(local) ? local.resolve(from.fileName()) : local;
            Path parent = target.toAbsolutePath().getParent();
            if (!Files.isDirectory(parent)) {
                throw new NoSuchFileException(parent.toString(), null, "no such directory");
            }
            Path part = Files.createTempFile(parent, "." + target.getFileName(), ".part");
            boolean done = false;
            try {
                try (OutputStream out = Files.newOutputStream(part)) {
                    readAll(fs, from, st.size(), out, Progress.of(io, progress, from.toString(), st.size()));
                }
                Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                done = true;
            } finally {
                if (!done) {
                    Files.deleteIfExists(part);
                }
            }
        }

        private void copyBetween(ClusterClient c, VnodePath from, VnodePath to, boolean intoDirectory) throws IOException {
            RemoteFileService fs = c.files(from.vnode());
            FileService.Stat st = statOrNull(fs, from);
            if (st == null || st.directory()) {
                throw new CliException(Lego.EXIT_FAILURE, from + (st == null ? ": no such file or directory"
                        : " is a directory (copying directories is not supported)"));
            }
            Path tmp = Files.createTempFile("lego-cp", ".tmp");
            try {
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    readAll(fs, from, st.size(), out, Progress.of(io, progress, from.toString(), st.size()));
                }
                try (InputStream in = Files.newInputStream(tmp)) {
                    upload(c, in, st.size(), from.fileName(), to, intoDirectory);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Reads a whole vNode file into {@code out}. */
    static void readAll(FileService fs, VnodePath from, long size, OutputStream out, Progress bar) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK);
        long offset = 0;
        try {
            while (true) {
                buf.clear();
                int n;
                try {
                    n = fs.read(from.path(), offset, buf);
                } catch (IOException e) {
                    throw failure(from, e);
                }
                if (n <= 0) {
                    break;
                }
                out.write(buf.array(), 0, n);
                offset += n;
                bar.advance(n);
            }
            out.flush();
        } finally {
            bar.finish();
        }
    }

    /** Creates the missing parent directories of {@code p}. */
    static void mkdirs(FileService fs, VnodePath p) {
        List<VnodePath> missing = new ArrayList<>();
        for (String parent = p.parent(); parent != null && !parent.equals("/"); ) {
            VnodePath d = new VnodePath(p.vnode(), parent);
            FileService.Stat st = statOrNull(fs, d);
            if (st != null) {
                if (!st.directory()) {
                    throw failure(d, new NotDirectoryException(d.path()));
                }
                break;
            }
            missing.add(d);
            parent = d.parent();
        }
        for (int i = missing.size() - 1; i >= 0; i--) {
            try {
                fs.mkdir(missing.get(i).path());
            } catch (FileAlreadyExistsException raced) {
                // made by someone else meanwhile
            } catch (IOException e) {
                throw failure(missing.get(i), e);
            }
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true,
            description = "Lists a directory of a vNode (directories end with '/'), or names one file.")
    static final class Ls implements Callable<Integer> {
        @Mixin
        ClientOptions client = new ClientOptions();

        @Parameters(paramLabel = "VNODE:/PATH", description = "A vNode directory or file, e.g. web:/ or web:/data.")
        String target;

        @Option(names = "-l", description = "Long format: type, size, last modification, name.")
        boolean longFormat;

        private final Io io;

        Ls(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() {
            VnodePath p = VnodePath.require(target, "ls:");
            try (ClusterClient c = client.connect(io)) {
                RemoteFileService fs = c.files(p.vnode());
                FileService.Stat st = statOrNull(fs, p);
                if (st == null) {
                    throw new CliException(Lego.EXIT_FAILURE, p + ": no such file or directory");
                }
                List<FileService.DirEntry> entries;
                if (st.directory()) {
                    try {
                        entries = new ArrayList<>(fs.readdir(p.path()));
                    } catch (IOException e) {
                        throw failure(p, e);
                    }
                    entries.sort(Comparator.comparing(FileService.DirEntry::name));
                } else {
                    entries = List.of(new FileService.DirEntry(p.fileName(), false));
                }
                ResultTable t = new ResultTable(null, "TYPE", ">SIZE", "MODIFIED", "NAME");
                DateTimeFormatter time = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneId.systemDefault());
                for (FileService.DirEntry e : entries) {
                    String name = e.name() + (e.directory() ? "/" : "");
                    if (!longFormat) {
                        io.out().println(name);
                        continue;
                    }
                    VnodePath child = st.directory() ? p.child(e.name()) : p;
                    FileService.Stat cs = statOrNull(fs, child);
                    t.row(e.directory() ? "d" : "-", cs == null ? "?" : e.directory() ? "-" : String.valueOf(cs.size()),
                            cs == null ? "?" : time.format(Instant.ofEpochMilli(cs.lastModifiedMillis())), name);
                }
                if (longFormat && !t.isEmpty()) {
                    t.print(io.out());
                }
                io.out().flush();
            }
            return Lego.EXIT_OK;
        }
    }

    @Command(name = "cat", mixinStandardHelpOptions = true, description = "Writes vNode files to stdout.")
    static final class Cat implements Callable<Integer> {
        @Mixin
        ClientOptions client = new ClientOptions();

        @Parameters(paramLabel = "VNODE:/FILE", arity = "1..*", description = "Files to print, e.g. web:/out/result.txt.")
        List<String> files;

        private final Io io;

        Cat(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws IOException {
            List<VnodePath> paths = files.stream().map(f -> VnodePath.require(f, "cat:")).toList();
            try (ClusterClient c = client.connect(io)) {
                for (VnodePath p : paths) {
                    RemoteFileService fs = c.files(p.vnode());
                    FileService.Stat st = statOrNull(fs, p);
                    if (st == null) {
                        throw new CliException(Lego.EXIT_FAILURE, p + ": no such file or directory");
                    }
                    if (st.directory()) {
                        throw new CliException(Lego.EXIT_FAILURE, p + " is a directory");
                    }
                    readAll(fs, p, st.size(), io.out(), Progress.of(io, false, p.toString(), 0));
                }
            }
            return Lego.EXIT_OK;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Removes files (and with -r directories) of a vNode.")
    static final class Rm implements Callable<Integer> {
        @Mixin
        ClientOptions client = new ClientOptions();

        @Parameters(paramLabel = "VNODE:/PATH", arity = "1..*", description = "What to remove, e.g. web:/tmp/x.")
        List<String> targets;

        @Option(names = {"-r", "--recursive"}, description = "Remove directories and their contents.")
        boolean recursive;

        @Option(names = {"-f", "--force"}, description = "Ignore paths that do not exist.")
        boolean force;

        private final Io io;

        Rm(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() {
            List<VnodePath> paths = targets.stream().map(t -> VnodePath.require(t, "rm:")).toList();
            try (ClusterClient c = client.connect(io)) {
                for (VnodePath p : paths) {
                    if (p.path().equals("/")) {
                        throw new CliException(Lego.EXIT_FAILURE, p + ": refusing to remove a vNode's root (remove the vNode"
                                + " with 'lego vnode rm " + p.vnode() + "')");
                    }
                    RemoteFileService fs = c.files(p.vnode());
                    FileService.Stat st = statOrNull(fs, p);
                    if (st == null) {
                        if (force) {
                            continue;
                        }
                        throw new CliException(Lego.EXIT_FAILURE, p + ": no such file or directory");
                    }
                    if (st.directory() && !recursive) {
                        throw new CliException(Lego.EXIT_FAILURE, p + " is a directory (use -r to remove it and its contents)");
                    }
                    remove(fs, p, st.directory());
                }
            }
            return Lego.EXIT_OK;
        }

        private static void remove(FileService fs, VnodePath p, boolean directory) {
            try {
                if (directory) {
                    for (FileService.DirEntry e : fs.readdir(p.path())) {
                        remove(fs, p.child(e.name()), e.directory());
                    }
                    fs.rmdir(p.path());
                } else {
                    fs.unlink(p.path());
                }
            } catch (IOException e) {
                throw failure(p, e);
            }
        }
    }
}
