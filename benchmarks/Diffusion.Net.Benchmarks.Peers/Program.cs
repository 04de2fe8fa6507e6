using Diffusion.Net.Benchmarks.Peers;

// Peer benchmarks: Diffusion.Net against ONNX Runtime and PyTorch on the same networks, weights and inputs, side by
// side in one run (benchmarks/peers/README.md).
//   run DIR [ROUNDS] [ROWS] [THREADS]   all sides alternately, equality first; ROWS e.g. mnist-100,mnist-200,if1,sample,if2,t5,load
//   child ours|ort NET DIR DTYPE THREADS REPS BATCH    one timing child (one JSON line)
//   sample-child ours|ort DIR THREADS REPS              100 MNIST digits, CFG 5, DPM-Solver++ 2M-10, loop in C#
//   load-child ours|ort NET DIR THREADS                 seconds to a model ready to run, and peak RSS (one JSON line)
//   train DIR [ROUNDS] [THREADS]                         training images/s, ours against PyTorch, equality first
//   train-child DIR DTYPE THREADS CHECK WARMUP STEPS [BATCH]   our training child (one JSON line)
//   conv-child nchw|nhwc THREADS BATCH CIN COUT SIZE REPS      one 3×3 convolution alone: ms and GFLOP/s
static int Usage()
{
    Console.Error.WriteLine("usage: run DIR [ROUNDS] [ROWS] [THREADS] | child ours|ort NET DIR DTYPE THREADS REPS BATCH | sample-child ours|ort DIR THREADS REPS | load-child ours|ort NET DIR THREADS | train DIR [ROUNDS] [THREADS] | train-child DIR DTYPE THREADS CHECK WARMUP STEPS [BATCH] | conv-child nchw|nhwc THREADS BATCH CIN COUT SIZE REPS");
    return 2;
}

if (args.Length == 0 || args[0] is "-h" or "--help") return Usage();
switch (args[0])
{
    case "run" when args.Length >= 2:
        return PeerRun.Run(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3,
            args.Length > 3 ? args[3].Split(',') : ["mnist-100", "mnist-200", "sample", "if1"],
            args.Length > 4 ? args[4].Split(',').Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray() : [2, 1]);
    case "child" when args.Length == 8:
        Console.WriteLine(TimingChild.Run(args[1], args[2], args[3], args[4], int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(args[6], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[7], System.Globalization.CultureInfo.InvariantCulture)));
        return 0;
    case "sample-child" when args.Length == 5:
        Console.WriteLine(SamplingChild.Run(args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture)));
        return 0;
    case "load-child" when args.Length == 5:
        Console.WriteLine(LoadChild.Run(args[1], args[2], args[3], int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture)));
        return 0;
    case "train" when args.Length >= 2:
        return TrainingRun.Run(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3,
            args.Length > 3 ? args[3].Split(',').Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray() : [2, 1]);
    case "train-child" when args.Length >= 7:
        Console.WriteLine(TrainingChild.Run(args[1..]));
        return 0;
    case "conv-child" when args.Length == 8:
        {
            var n = args[2..].Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Console.WriteLine(ConvChild.Run(args[1], n[0], n[1], n[2], n[3], n[4], n[5]));
            return 0;
        }
    default:
        return Usage();
}
