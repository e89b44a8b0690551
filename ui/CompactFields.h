#pragma once
// Fields that do not widen the window beyond what their values need. By default a spin box asks
// for the width of its whole range (±10⁹ with five decimals for a grey level: 200 px) and a combo
// box for that of its longest item; a row of such fields under the views made the console wider
// than a 1600-pixel screen. These ask for room for `characters` digits or letters beside the
// prefix and suffix, and grow when the layout has room; a longer value scrolls within its field,
// a longer item is cut with "…".
class QAbstractSpinBox;
class QComboBox;

namespace tomolive::ui {

void compactWidth(QAbstractSpinBox* box, int characters);
void compactWidth(QComboBox* box, int characters);

}  // namespace tomolive::ui
