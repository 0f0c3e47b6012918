package dev.baton.triage;

import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Limited-memory BFGS (Nocedal and Wright, algorithm 7.4) with a backtracking Armijo line search.
 * The objective is expensive (a pass over the training rows), so the search tries the unit step
 * first and a curvature pair is only kept when it is positive, which keeps the inverse-Hessian
 * estimate positive definite without a full Wolfe search. Deterministic: no randomness.
 */
final class Lbfgs {

    /** An objective: writes the gradient at {@code x} into {@code grad} and returns the value. */
    interface Objective {
        double evaluate(double[] x, double[] grad);
    }

    /**
     * @param maxIterations iterations (line searches) at most
     * @param tolerance     stop when an iteration lowers the objective by less than this, relative to
     *                      max(1, |f|), or when the largest gradient entry is below it
     * @param history       the number of curvature pairs kept
     */
    record Options(int maxIterations, double tolerance, int history) {
        Options {
            if (maxIterations < 0) throw new IllegalArgumentException("maxIterations must be >= 0: " + maxIterations);
            if (!(tolerance >= 0)) throw new IllegalArgumentException("tolerance must be >= 0: " + tolerance);
            if (history < 1) throw new IllegalArgumentException("history must be >= 1: " + history);
        }
    }

    /** What a minimisation ended with; {@code x} is the minimiser found. */
    record Result(double[] x, double value, int iterations, int evaluations, boolean converged) {
    }

    private static final double ARMIJO = 1e-4;
    private static final int MAX_SEARCH = 30;

    private Lbfgs() {
    }

    /**
     * Minimises from {@code start} (not modified).
     *
     * @param cancelled polled before every evaluation after the first; when true the minimisation
     *                  throws {@link CancellationException}
     * @param iteration called after every accepted step with the iteration number and the value
     */
    static Result minimise(Objective f, double[] start, Options o, BooleanSupplier cancelled,
                           IterationListener iteration) {
        int n = start.length;
        int m = o.history();
        double[] x = start.clone();
        double[] g = new double[n];
        double fx = f.evaluate(x, g);
        int evaluations = 1;
        if (!Double.isFinite(fx)) throw new IllegalStateException("the objective is not finite at the start: " + fx);
        double[][] s = new double[m][n];
        double[][] y = new double[m][n];
        double[] rho = new double[m];
        double[] alpha = new double[m];
        int stored = 0;
        int newest = -1;
        double[] dir = new double[n];
        double[] xNew = new double[n];
        double[] gNew = new double[n];
        int iter = 0;
        boolean converged = maxAbs(g) <= o.tolerance();
        while (!converged && iter < o.maxIterations()) {
            // two-loop recursion: dir = -H g
            for (int i = 0; i < n; i++) dir[i] = -g[i];
            for (int k = 0; k < stored; k++) {
                int j = Math.floorMod(newest - k, m);
                alpha[j] = rho[j] * dot(s[j], dir);
                axpy(-alpha[j], y[j], dir);
            }
            double gamma = stored == 0 ? 1 / Math.max(1, norm(g)) : dot(s[newest], y[newest]) / dot(y[newest], y[newest]);
            for (int i = 0; i < n; i++) dir[i] *= gamma;
            for (int k = stored - 1; k >= 0; k--) {
                int j = Math.floorMod(newest - k, m);
                double beta = rho[j] * dot(y[j], dir);
                axpy(alpha[j] - beta, s[j], dir);
            }
            double slope = dot(g, dir);
            if (!(slope < 0)) {
                // not a descent direction (rounding): restart from steepest descent
                stored = 0;
                for (int i = 0; i < n; i++) dir[i] = -g[i] / Math.max(1, norm(g));
                slope = dot(g, dir);
                if (!(slope < 0)) break;
            }
            double step = 1;
            double fNew = Double.NaN;
            boolean accepted = false;
            for (int t = 0; t < MAX_SEARCH; t++) {
                if (cancelled.getAsBoolean()) throw new CancellationException("training was cancelled");
                for (int i = 0; i < n; i++) xNew[i] = x[i] + step * dir[i];
                fNew = f.evaluate(xNew, gNew);
                evaluations++;
                if (Double.isFinite(fNew) && fNew <= fx + ARMIJO * step * slope) {
                    accepted = true;
                    break;
                }
                // minimiser of the quadratic through f(0), f'(0) and f(step), kept within [0.1, 0.5] of the step
                double q = Double.isFinite(fNew) ? -slope * step * step / (2 * (fNew - fx - slope * step)) : 0.1 * step;
                step = Math.min(0.5 * step, Math.max(0.1 * step, q));
            }
            if (!accepted) break; // no decrease along the direction: as good as this precision allows
            iter++;
            int slot = (newest + 1) % m;
            double sy = 0;
            double yy = 0;
            for (int i = 0; i < n; i++) {
                s[slot][i] = xNew[i] - x[i];
                y[slot][i] = gNew[i] - g[i];
                sy += s[slot][i] * y[slot][i];
                yy += y[slot][i] * y[slot][i];
            }
            if (sy > 1e-12 * yy && yy > 0) {
                rho[slot] = 1 / sy;
                newest = slot;
                stored = Math.min(stored + 1, m);
            }
            double decrease = fx - fNew;
            double[] swap = x;
            x = xNew;
            xNew = swap;
            swap = g;
            g = gNew;
            gNew = swap;
            fx = fNew;
            iteration.accept(iter, x);
            converged = decrease <= o.tolerance() * Math.max(1, Math.abs(fx)) || maxAbs(g) <= o.tolerance();
        }
        return new Result(x, fx, iter, evaluations, converged);
    }

    /** Called after each accepted step. */
    interface IterationListener {
        void accept(int iteration, double[] x);
    }

    static double dot(double[] a, double[] b) {
        double s0 = 0;
        double s1 = 0;
        int i = 0;
        for (; i + 1 < a.length; i += 2) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
        }
        if (i < a.length) s0 += a[i] * b[i];
        return s0 + s1;
    }

    private static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) y[i] += a * x[i];
    }

    private static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    private static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) m = Math.max(m, Math.abs(v));
        return m;
    }
}
