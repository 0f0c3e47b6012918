package dev.baton.embedding;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Files of a jar kept unpacked in a folder, so that a start need not inflate them again: the encoders' models
 * (23 and 34 MB, about 0.35 s of CPU a start) and ONNX Runtime's native library (16 MB, which ONNX Runtime otherwise
 * writes to a new temporary folder at every start). Each is named by its jar (path, size, time) and its name, so
 * another jar has its own; written to a temporary name and moved, so that a reader never sees half a file.
 */
final class Unpacked {

    private Unpacked() {
    }

    /** The resource as a file in {@code folder}, unpacked now if it is not there yet; null when it cannot be (then read the jar). */
    static Path file(ClassLoader loader, String resource, Path folder) {
        String name = resource.substring(resource.lastIndexOf('/') + 1);
        String key = key(loader, resource);
        if (key == null) return null;
        int dot = name.lastIndexOf('.');
        return copy(loader, resource, folder.resolve(dot > 0 ? name.substring(0, dot) + "-" + key + name.substring(dot) : name + "-" + key));
    }

    /**
     * Points ONNX Runtime at a kept copy of its native libraries (the system property {@code onnxruntime.native.path}),
     * unless the property is set already or this platform's libraries are not in the jar. Before ONNX Runtime loads.
     */
    static synchronized void onnxRuntimeNatives(Path folder) {
        if (System.getProperty("onnxruntime.native.path") != null) return;
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String platform = (os.contains("linux") ? "linux" : os.contains("mac") ? "osx" : null) + "-"
                + (arch.equals("amd64") || arch.equals("x86_64") ? "x64" : arch.equals("aarch64") ? "aarch64" : null);
        if (platform.contains("null")) return;
        ClassLoader loader = ai.onnxruntime.OrtEnvironment.class.getClassLoader();
        String base = "ai/onnxruntime/native/" + platform + "/";
        String runtime = base + System.mapLibraryName("onnxruntime");
        String jni = base + System.mapLibraryName("onnxruntime4j_jni");
        String key = key(loader, runtime);
        if (key == null || loader.getResource(jni) == null) return;
        Path dir = folder.resolve("onnxruntime-" + key);
        if (copy(loader, runtime, dir.resolve(System.mapLibraryName("onnxruntime"))) == null) return;
        if (copy(loader, jni, dir.resolve(System.mapLibraryName("onnxruntime4j_jni"))) == null) return;
        System.setProperty("onnxruntime.native.path", dir.toString());
    }

    private static Path copy(ClassLoader loader, String resource, Path file) {
        if (Files.isRegularFile(file)) return file;
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) return null;
            Files.createDirectories(file.getParent());
            Path partial = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
            try {
                Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(partial);
            }
            return file;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A key of the jar holding the resource and the resource's name; null when it is not in a jar file. */
    private static String key(ClassLoader loader, String resource) {
        URL url = loader.getResource(resource);
        if (url == null || !"jar".equals(url.getProtocol())) return null;
        try {
            String spec = url.getPath(); // file:/path/to/the.jar!/resource
            Path jar = Path.of(URI.create(spec.substring(0, spec.indexOf("!/"))));
            String text = jar.toAbsolutePath() + "\n" + Files.size(jar) + "\n" + Files.getLastModifiedTime(jar).toMillis() + "\n" + resource;
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 8);
        } catch (IOException | RuntimeException | NoSuchAlgorithmException e) {
            return null;
        }
    }
}
