"""A plug-in for tests/test_plugin_check.py: one model keeps the contract, two break it."""

from torch import Tensor, nn

from derainbench.contracts import Discriminator, Generator, Judgement, Restoration
from derainbench.registries import DISCRIMINATORS, GENERATORS


class Good(Generator):
    multiple_of = 4

    def __init__(self, width: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1), nn.ReLU(), nn.Conv2d(width, 3, 3, padding=1)
        )

    def forward(self, rainy: Tensor) -> Restoration:
        return Restoration(image=(rainy + self.body(rainy)).clamp(0, 1))


class Bare(Good):  # returns a bare tensor, and its record claims another size multiple
    def forward(self, rainy: Tensor) -> Tensor:
        return rainy + self.body(rainy)


class Probability(Discriminator):  # a sigmoid at the end: probabilities, not logits
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 1, 4, stride=2), nn.Sigmoid())

    def forward(self, x: Tensor) -> Judgement:
        return Judgement(logits=self.net(x))


@GENERATORS.register("good-net", paper="-", multiple_of=4, test_kwargs={"width": 4})
def good(width: int = 16) -> Generator:
    return Good(width)


@GENERATORS.register("bare-net", paper="-", multiple_of=8, test_kwargs={"width": 4})
def bare(width: int = 16) -> Generator:
    return Bare(width)


@DISCRIMINATORS.register("prob-d", paper="-")
def prob() -> Discriminator:
    return Probability()
