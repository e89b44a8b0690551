#include "ProfilePanel.h"

#include <QChart>
#include <QChartView>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QSettings>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>

namespace tomolive::ui {

namespace {

QString lengthText(double micrometres) {
  return micrometres >= 1000.0 ? QObject::tr("%1 mm").arg(micrometres / 1000.0, 0, 'f', 3)
                               : QObject::tr("%1 µm").arg(micrometres, 0, 'f', 2);
}

// The finite points of a profile, distances scaled to the axis' unit.
QList<QPointF> points(const Profile& profile, double scale) {
  QList<QPointF> list;
  list.reserve(qsizetype(profile.values.size()));
  for (std::size_t i = 0; i < profile.values.size(); ++i)
    if (std::isfinite(profile.values[i]))
      list.append({profile.distancesPixels[i] * scale, profile.values[i]});
  return list;
}

}  // namespace

ProfilePanel::ProfilePanel(QWidget* parent)
    : QWidget(parent),
      m_draw(new QToolButton(this)),
      m_band(new QSpinBox(this)),
      m_pixelSize(new QDoubleSpinBox(this)),
      m_pixelSizeSource(new QLabel(this)),
      m_ruler(new QLabel(this)),
      m_chart(new QChart()),
      m_x(new QValueAxis(m_chart)),
      m_y(new QValueAxis(m_chart)),
      m_before(new QLineSeries(this)),
      m_after(new QLineSeries(this)) {
  m_draw->setObjectName("profileTool");
  m_draw->setText(tr("Draw line"));
  m_draw->setCheckable(true);
  m_draw->setToolTip(tr("Click two points on either slice view (L)"));
  connect(m_draw, &QToolButton::toggled, this, &ProfilePanel::drawingToggled);
  m_band->setObjectName("profileWidth");
  m_band->setRange(1, 101);
  m_band->setPrefix(tr("width "));
  m_band->setSuffix(tr(" px"));
  m_band->setToolTip(
      tr("Each point is the mean across this many pixels, perpendicular to the line"));
  connect(m_band, &QSpinBox::valueChanged, this, &ProfilePanel::bandPixelsChanged);
  m_pixelSize->setObjectName("pixelSize");
  m_pixelSize->setRange(0.0, 1e6);
  m_pixelSize->setDecimals(4);
  m_pixelSize->setSuffix(tr(" µm"));
  m_pixelSize->setSpecialValueText(tr("unknown"));
  m_pixelSize->setToolTip(tr("Pixel size for sources whose file does not state one"));
  connect(m_pixelSize, &QDoubleSpinBox::valueChanged, this, [this] {
    showRuler();
    m_redraw.start();
  });
  m_pixelSizeSource->setObjectName("pixelSizeSource");
  m_pixelSizeSource->setWordWrap(true);  // a file's name must not widen the dock
  m_ruler->setObjectName("rulerLabel");
  m_ruler->setWordWrap(true);
  m_ruler->setTextInteractionFlags(Qt::TextSelectableByMouse);

  m_before->setObjectName("profileBefore");
  m_before->setName(tr("before"));
  m_after->setObjectName("profileAfter");
  m_after->setName(tr("after"));
  m_chart->setMargins(QMargins(2, 2, 2, 2));
  m_chart->legend()->setAlignment(Qt::AlignBottom);
  m_chart->addAxis(m_x, Qt::AlignBottom);
  m_chart->addAxis(m_y, Qt::AlignLeft);
  m_y->setTitleText(tr("value"));
  for (QLineSeries* s : {m_before, m_after}) {
    m_chart->addSeries(s);
    s->attachAxis(m_x);
    s->attachAxis(m_y);
  }
  auto* view = new QChartView(m_chart, this);
  view->setRenderHint(QPainter::Antialiasing);
  view->setMinimumSize(220, 160);

  auto* tools = new QHBoxLayout;
  tools->addWidget(m_draw);
  tools->addWidget(m_band);
  tools->addStretch(1);
  auto* pixel = new QHBoxLayout;
  pixel->addWidget(new QLabel(tr("pixel size"), this));
  pixel->addWidget(m_pixelSize);
  pixel->addWidget(m_pixelSizeSource, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addLayout(tools);
  layout->addLayout(pixel);
  layout->addWidget(m_ruler);
  layout->addWidget(view, 1);

  m_redraw.setSingleShot(true);
  m_redraw.setInterval(kRedrawMs);
  connect(&m_redraw, &QTimer::timeout, this, &ProfilePanel::redraw);
  clear();
}

bool ProfilePanel::drawing() const { return m_draw->isChecked(); }
void ProfilePanel::setDrawing(bool drawing) { m_draw->setChecked(drawing); }
int ProfilePanel::bandPixels() const { return m_band->value(); }
void ProfilePanel::setPixelSize(double micrometres) { m_pixelSize->setValue(micrometres); }

void ProfilePanel::setSourcePixelSize(std::optional<double> micrometres) {
  m_sourcePixelSize = micrometres;
  showRuler();
  m_redraw.start();
}

std::optional<double> ProfilePanel::pixelSizeMicrometres() const {
  if (m_sourcePixelSize) return m_sourcePixelSize;
  if (m_pixelSize->value() > 0.0) return m_pixelSize->value();
  return std::nullopt;
}

void ProfilePanel::showProfiles(Profile before, Profile after, double lengthPixels) {
  m_beforeProfile = std::move(before);
  m_afterProfile = std::move(after);
  m_lengthPixels = lengthPixels;
  showRuler();
  if (!m_redraw.isActive()) m_redraw.start();
}

void ProfilePanel::clear() {
  m_beforeProfile = {}, m_afterProfile = {};
  m_lengthPixels.reset();
  showRuler();
  m_redraw.start();
}

void ProfilePanel::showRuler() {
  m_pixelSizeSource->setText(m_sourcePixelSize
                                 ? tr("file states %1").arg(lengthText(*m_sourcePixelSize))
                             : m_pixelSize->value() > 0.0 ? tr("set here")
                                                          : tr("lengths in pixels"));
  if (!m_lengthPixels) {
    m_ruler->setText(tr("Draw a line: click two points on either slice view"));
    return;
  }
  const QString pixels = tr("length %1 px").arg(*m_lengthPixels, 0, 'f', 2);
  const auto size = pixelSizeMicrometres();
  m_ruler->setText(size ? tr("%1 = %2").arg(pixels, lengthText(*m_lengthPixels * *size))
                        : tr("%1 (pixel size unknown)").arg(pixels));
}

void ProfilePanel::redraw() {
  const auto size = pixelSizeMicrometres();
  // Millimetres once the line is that long, as in the ruler.
  const bool millimetres = size && m_lengthPixels && *m_lengthPixels * *size >= 1000.0;
  const double scale = !size ? 1.0 : millimetres ? *size / 1000.0 : *size;
  m_x->setTitleText(!size         ? tr("distance along the line (px)")
                    : millimetres ? tr("distance along the line (mm)")
                                  : tr("distance along the line (µm)"));
  const QList<QPointF> before = points(m_beforeProfile, scale);
  const QList<QPointF> after = points(m_afterProfile, scale);
  m_before->replace(before);
  m_after->replace(after);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const QList<QPointF>* list : {&before, &after})
    for (const QPointF& p : *list) lo = std::min(lo, p.y()), hi = std::max(hi, p.y());
  if (!(hi >= lo)) lo = 0.0, hi = 1.0;
  const double pad = hi > lo ? 0.05 * (hi - lo) : 0.5;
  m_y->setRange(lo - pad, hi + pad);
  m_x->setRange(0.0, std::max(1e-9, m_lengthPixels.value_or(1.0) * scale));
}

void ProfilePanel::saveSettings(QSettings& settings) const {
  settings.setValue("profile/width", m_band->value());
  settings.setValue("profile/pixelSizeMicrometres", m_pixelSize->value());
}

void ProfilePanel::restoreSettings(const QSettings& settings) {
  m_band->setValue(settings.value("profile/width", 1).toInt());
  m_pixelSize->setValue(settings.value("profile/pixelSizeMicrometres", 0.0).toDouble());
}

}  // namespace tomolive::ui
