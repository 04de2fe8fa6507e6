namespace Diffusion.Net.Mnist.Data;

/// <summary>The MNIST splits.</summary>
public enum MnistSplit
{
    /// <summary>60,000 training digits.</summary>
    Train,

    /// <summary>10,000 test digits.</summary>
    Test,
}
