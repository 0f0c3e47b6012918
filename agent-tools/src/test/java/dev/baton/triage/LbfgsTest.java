package dev.baton.triage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

class LbfgsTest {

    @Test
    void findsTheMinimumOfRosenbrocksFunction() {
        Lbfgs.Objective rosenbrock = (x, g) -> {
            double a = 1 - x[0];
            double b = x[1] - x[0] * x[0];
            g[0] = -2 * a - 400 * x[0] * b;
            g[1] = 200 * b;
            return a * a + 100 * b * b;
        };
        Lbfgs.Result r = Lbfgs.minimise(rosenbrock, new double[] {-1.2, 1}, new Lbfgs.Options(500, 1e-12, 5),
                () -> false, (i, x) -> { });
        assertEquals(1, r.x()[0], 1e-5);
        assertEquals(1, r.x()[1], 1e-5);
        assertTrue(r.converged());
    }

    @Test
    void solvesAnIllConditionedQuadraticExactly() {
        // f = 1/2 x^T D x - c^T x with D from 1 to 1e4: the minimiser is c / D
        int n = 50;
        double[] d = new double[n];
        double[] c = new double[n];
        Random r = new Random(1);
        for (int i = 0; i < n; i++) {
            d[i] = Math.pow(1e4, i / (n - 1.0));
            c[i] = r.nextGaussian();
        }
        Lbfgs.Objective f = (x, g) -> {
            double v = 0;
            for (int i = 0; i < n; i++) {
                g[i] = d[i] * x[i] - c[i];
                v += 0.5 * d[i] * x[i] * x[i] - c[i] * x[i];
            }
            return v;
        };
        Lbfgs.Result res = Lbfgs.minimise(f, new double[n], new Lbfgs.Options(1000, 0, 10), () -> false, (i, x) -> { });
        for (int i = 0; i < n; i++) assertEquals(c[i] / d[i], res.x()[i], 1e-6 * Math.max(1, Math.abs(c[i] / d[i])));
    }

    @Test
    void stopsAtTheIterationCapAndRefusesBadOptions() {
        Lbfgs.Objective bowl = (x, g) -> {
            g[0] = 2 * (x[0] - 3);
            return (x[0] - 3) * (x[0] - 3);
        };
        Lbfgs.Result none = Lbfgs.minimise(bowl, new double[] {0}, new Lbfgs.Options(0, 0, 3), () -> false, (i, x) -> { });
        assertEquals(0, none.iterations());
        assertEquals(0, none.x()[0]);
        assertThrows(IllegalArgumentException.class, () -> new Lbfgs.Options(-1, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> new Lbfgs.Options(5, Double.NaN, 3));
        assertThrows(IllegalArgumentException.class, () -> new Lbfgs.Options(5, 0, 0));
    }
}
