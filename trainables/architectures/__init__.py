"""Generator/discriminator pairs: ``mlp`` for points, ``dcgan`` and ``resnet`` for images."""
