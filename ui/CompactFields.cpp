#include "CompactFields.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QSpinBox>

#include <algorithm>

namespace tomolive::ui {

void compactWidth(QAbstractSpinBox* box, int characters) {
  QString affixes;
  if (const auto* d = qobject_cast<QDoubleSpinBox*>(box)) affixes = d->prefix() + d->suffix();
  if (const auto* i = qobject_cast<QSpinBox*>(box)) affixes = i->prefix() + i->suffix();
  const QFontMetrics metrics = box->fontMetrics();
  // The frame and the up/down buttons take about two line heights.
  const int width =
      metrics.horizontalAdvance(affixes + QString(characters, QChar('0'))) + 2 * metrics.height();
  box->setMinimumWidth(std::min(width, box->minimumSizeHint().width()));
  box->setSizePolicy(QSizePolicy::Preferred, box->sizePolicy().verticalPolicy());
}

void compactWidth(QComboBox* box, int characters) {
  box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  box->setMinimumContentsLength(characters);
}

}  // namespace tomolive::ui
