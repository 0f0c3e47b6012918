package dev.baton.triage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * TF-IDF features over word unigrams and bigrams: sublinear term frequency, smoothed inverse
 * document frequency, L2-normalised. Terms seen in fewer than two examples are dropped. Immutable
 * once fitted, so it is shared by the training thread and the classifying threads.
 */
final class TfIdf {

    /** A sparse vector: feature indexes (ascending, distinct) and their values. */
    record Sparse(int[] index, float[] value) {
        static final Sparse EMPTY = new Sparse(new int[0], new float[0]);
    }

    private final Map<String, Integer> vocabulary;
    private final float[] idf;

    private TfIdf(Map<String, Integer> vocabulary, float[] idf) {
        this.vocabulary = vocabulary;
        this.idf = idf;
    }

    int size() {
        return idf.length;
    }

    static TfIdf fit(List<String> texts, int minDf) {
        Map<String, Integer> df = new HashMap<>();
        for (String t : texts) {
            for (String term : new HashSet<>(terms(t))) df.merge(term, 1, Integer::sum);
        }
        Map<String, Integer> vocabulary = new HashMap<>();
        List<Integer> dfs = new ArrayList<>();
        df.entrySet().stream()
                .filter(e -> e.getValue() >= minDf)
                .map(Map.Entry::getKey)
                .sorted() // a stable order: the same examples give the same feature indexes
                .forEach(term -> {
                    vocabulary.put(term, vocabulary.size());
                    dfs.add(df.get(term));
                });
        float[] idf = new float[vocabulary.size()];
        int n = texts.size();
        for (int i = 0; i < idf.length; i++) {
            idf[i] = (float) (Math.log((n + 1.0) / (dfs.get(i) + 1.0)) + 1.0);
        }
        return new TfIdf(vocabulary, idf);
    }

    Sparse transform(String text) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (String term : terms(text)) {
            Integer idx = vocabulary.get(term);
            if (idx != null) counts.merge(idx, 1, Integer::sum);
        }
        if (counts.isEmpty()) return Sparse.EMPTY;
        int[] index = counts.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
        float[] value = new float[index.length];
        double norm = 0;
        for (int i = 0; i < index.length; i++) {
            double v = (1 + Math.log(counts.get(index[i]))) * idf[index[i]];
            value[i] = (float) v;
            norm += v * v;
        }
        float inv = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < value.length; i++) value[i] *= inv;
        return new Sparse(index, value);
    }

    /** Lower-cased words (letters and digits, apostrophes dropped) and their adjacent pairs. */
    static List<String> terms(String text) {
        String[] words = text.toLowerCase(Locale.ROOT).replace("'", "").replace("\u2019", "")
                .split("[^\\p{L}\\p{N}]+");
        List<String> out = new ArrayList<>(words.length * 2);
        String prev = null;
        for (String w : words) {
            if (w.isEmpty()) continue;
            out.add(w);
            if (prev != null) out.add(prev + ' ' + w);
            prev = w;
        }
        return out;
    }
}
