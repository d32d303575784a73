// Copyright onnxedge authors.
// Umbrella header of the public C++ API.
#pragma once

#include "onnxedge/data_type.h"
#include "onnxedge/options.h"
#include "onnxedge/session.h"
#include "onnxedge/status.h"
#include "onnxedge/tensor.h"
#include "onnxedge/value.h"
