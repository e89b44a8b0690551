"""TomoGAN generator and discriminator (Liu et al., arXiv:1902.07582) in PyTorch.

The generator is fixed by resources/models/README.md (the C++ oneDNN engine implements the same
graph): module names conv0 ... conv15, so that state_dict keys are `conv0.weight`, `conv0.bias`...
The discriminator follows the authors' public code (github.com/lzhengchun/TomoGAN, `tomogan_disc`):
six 3x3 convolutions 64, 64/2, 128, 128/2, 128, 4/2 (stride 2 where marked, ReLU after each),
flatten, dense 64 (ReLU), dense 1 (one logit; BCE-with-logits in training).

    /usr/bin/python3 resources/models/training/tomogan_model.py   # prints parameter counts
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

DEPTH = 3  # adjacent slices given as input channels; the middle one is enhanced

# (name, in, out, kernel) in the order of resources/models/README.md
GENERATOR_LAYERS = [
    ("conv0", DEPTH, 8, 1),
    ("conv1", 8, 32, 3), ("conv2", 32, 32, 3),
    ("conv3", 32, 64, 3), ("conv4", 64, 64, 3),
    ("conv5", 64, 128, 3), ("conv6", 128, 128, 3),
    ("conv7", 128, 128, 3),
    ("conv8", 256, 64, 3), ("conv9", 64, 64, 3),
    ("conv10", 128, 32, 3), ("conv11", 32, 32, 3),
    ("conv12", 64, 32, 3), ("conv13", 32, 32, 3),
    ("conv14", 32, 16, 1),
    ("conv15", 16, 1, 1),
]


class TomoGANGenerator(nn.Module):
    """U-Net with three pooling levels. Input (N, 3, H, W), H and W multiples of 8; output (N, 1, H, W)."""

    def __init__(self, depth=DEPTH):
        super().__init__()
        for name, cin, cout, k in GENERATOR_LAYERS:
            if name == "conv0":
                cin = depth
            self.add_module(name, nn.Conv2d(cin, cout, k, padding=k // 2))

    @staticmethod
    def _up(x):
        return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)

    def forward(self, x):
        c = lambda name, t: F.relu(getattr(self, name)(t))
        x = c("conv0", x)
        skip1 = c("conv2", c("conv1", x))
        x = F.max_pool2d(skip1, 2)
        skip2 = c("conv4", c("conv3", x))
        x = F.max_pool2d(skip2, 2)
        skip3 = c("conv6", c("conv5", x))
        x = F.max_pool2d(skip3, 2)
        x = c("conv7", x)
        x = c("conv9", c("conv8", torch.cat([skip3, self._up(x)], dim=1)))
        x = c("conv11", c("conv10", torch.cat([skip2, self._up(x)], dim=1)))
        x = c("conv13", c("conv12", torch.cat([skip1, self._up(x)], dim=1)))
        x = c("conv14", x)
        return self.conv15(x)  # linear output


class TomoGANDiscriminator(nn.Module):
    """Discriminator of the authors' code: image (N, 1, P, P), P multiple of 8 -> one logit per image."""

    def __init__(self, patch=96):
        super().__init__()
        chans = [(1, 64, 1), (64, 64, 2), (64, 128, 1), (128, 128, 2), (128, 128, 1), (128, 4, 2)]
        self.convs = nn.ModuleList(nn.Conv2d(i, o, 3, stride=s, padding=1) for i, o, s in chans)
        self.fc1 = nn.Linear(4 * (patch // 8) ** 2, 64)
        self.fc2 = nn.Linear(64, 1)

    def forward(self, x):
        for conv in self.convs:
            x = F.relu(conv(x))
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


def count_parameters(module):
    return sum(p.numel() for p in module.parameters())


def multiply_adds_per_pixel():
    """Multiply-adds per output pixel of the generator (a layer at 1/2^k resolution counts 1/4^k)."""
    level = {0: 1, 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 8, 8: 4, 9: 4, 10: 2, 11: 2}
    total = 0.0
    for i, (_, cin, cout, k) in enumerate(GENERATOR_LAYERS):
        total += cin * cout * k * k / level.get(i, 1) ** 2
    return total


if __name__ == "__main__":
    g = TomoGANGenerator()
    print("generator parameters:", count_parameters(g))
    for name, p in g.state_dict().items():
        print(f"  {name:14s} {tuple(p.shape)}")
    print("generator multiply-adds per output pixel: %.1f" % multiply_adds_per_pixel())
    d = TomoGANDiscriminator(96)
    print("discriminator parameters (96x96 patches):", count_parameters(d))
    y = g(torch.zeros(1, DEPTH, 40, 56))
    assert y.shape == (1, 1, 40, 56)
    assert d(torch.zeros(2, 1, 96, 96)).shape == (2, 1)
