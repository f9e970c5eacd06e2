package org.legoos.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * PNG plots of the workload results with JFreeChart, drawn headless: the paper's "slowdown vs ExCache size" figure,
 * one line per deployment, x = ExCache as a percentage of the working set (the full-ExCache point is drawn at 100%).
 */
public final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    /** Draws the slowdown plot of one workload's rows into {@code file}. */
    public static void slowdown(String workload, List<WorkloadRow> rows, Path file) throws IOException {
        Map<String, XYSeries> series = new LinkedHashMap<>();
        for (WorkloadRow r : rows) {
            if (!r.workload().equals(workload) || r.config().equals("twin")) {
                continue;
            }
            double x = r.config().equals("full") ? 100 : r.cacheFraction() * 100;
            series.computeIfAbsent(r.deployment(), XYSeries::new).add(x, r.vsFull());
        }
        XYSeriesCollection data = new XYSeriesCollection();
        series.values().forEach(data::addSeries);
        JFreeChart chart = ChartFactory.createXYLineChart(workload + ": slowdown vs ExCache size",
                "ExCache size (% of the working set; 100 = larger than it)", "time / time with full ExCache", data,
                PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        plot.setRenderer(renderer);
        NumberAxis y = (NumberAxis) plot.getRangeAxis();
        y.setAutoRangeIncludesZero(true);
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 800, 500);
    }
}
