package vision

// source describes one data set of the MNIST family as torchvision and brainpy_datasets publish
// it: where it is downloaded from and the MD5 of each official .gz file.
type source struct {
	name    string // directory under the data root, also the error prefix's function name
	mirrors []string
	md5     map[string]string // .gz file name → official MD5
	classes []string
}

// The four files of a data set, in BrainPy's order; the split picks two of them.
const (
	trainImages = "train-images-idx3-ubyte.gz"
	trainLabels = "train-labels-idx1-ubyte.gz"
	testImages  = "t10k-images-idx3-ubyte.gz"
	testLabels  = "t10k-labels-idx1-ubyte.gz"
)

var allFiles = []string{trainImages, trainLabels, testImages, testLabels}

var fashionMNIST = source{
	name:    "FashionMNIST",
	mirrors: []string{"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"},
	md5: map[string]string{
		trainImages: "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
		trainLabels: "25c81989df183df01b3e8a0aad5dffbe",
		testImages:  "bef4ecab320f06d8554ea6380940ec79",
		testLabels:  "bb300cfdad3c16e7a12a480ee83cd310",
	},
	classes: []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
		"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
}

var mnist = source{
	name:    "MNIST",
	mirrors: []string{"http://yann.lecun.com/exdb/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/"},
	md5: map[string]string{
		trainImages: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
		trainLabels: "d53e105ee54ea40749a09fcbcd1e9432",
		testImages:  "9fb629c4189551a2d022fa330f9573f3",
		testLabels:  "ec29112dd5afa0611ce80d1b7f02629c",
	},
	classes: []string{"0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
		"5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"},
}
