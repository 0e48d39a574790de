//go:build !purego && !noasm

package vec

import "github.com/myelin-go/myelin/backend/cpu/internal/isa"

func init() {
	tables[isa.AVX2] = &avx2
	tables[isa.AVX512] = &avx512
}

// avx2 is the kernel table of the AVX2+FMA assembly.
var avx2 = Kernels{
	level:         isa.AVX2,
	relu:          reluAVX2,
	reluGrad:      reluGradAVX2,
	leakyRelu:     leakyReluAVX2,
	leakyReluGrad: leakyReluGradAVX2,
	elu:           eluAVX2,
	eluGrad:       eluGradAVX2,
	exp:           expAVX2,
	sigmoid:       sigmoidAVX2,
	sigmoidGrad:   sigmoidGradAVX2,
	tanh:          tanhAVX2,
	tanhGrad:      tanhGradAVX2,
	softplus:      softplusAVX2,
	softplusGrad:  softplusGradAVX2,
	add:           addAVX2,
	mul:           mulAVX2,
	scale:         scaleAVX2,
	axpy:          axpyAVX2,
	fill:          fillAVX2,
	addConst:      addConstAVX2,
	scaleShift:    scaleShiftAVX2,
	sum:           sumAVX2,
	dot:           dotAVX2,
	sumSqDev:      sumSqDevAVX2,
	dotDev:        dotDevAVX2,
	expShift:      expShiftAVX2,
	softmaxXent:   softmaxXentAVX2,
	sigmoidXent:   sigmoidXentAVX2,
	absDiff:       absDiffAVX2,
	sgd:           sgdAVX2,
	sgdMomentum:   sgdMomentumAVX2,
	sgdNesterov:   sgdNesterovAVX2,
	rmsprop:       rmspropAVX2,
	adam:          adamAVX2,
	adadelta:      adadeltaAVX2,
	maxPool2:      maxPool2AVX2,
	maxPool2Grad:  maxPool2GradAVX2,
}

// avx512 is the kernel table of the AVX-512 assembly.
var avx512 = Kernels{
	level:         isa.AVX512,
	relu:          reluAVX512,
	reluGrad:      reluGradAVX512,
	leakyRelu:     leakyReluAVX512,
	leakyReluGrad: leakyReluGradAVX512,
	elu:           eluAVX512,
	eluGrad:       eluGradAVX512,
	exp:           expAVX512,
	sigmoid:       sigmoidAVX512,
	sigmoidGrad:   sigmoidGradAVX512,
	tanh:          tanhAVX512,
	tanhGrad:      tanhGradAVX512,
	softplus:      softplusAVX512,
	softplusGrad:  softplusGradAVX512,
	add:           addAVX512,
	mul:           mulAVX512,
	scale:         scaleAVX512,
	axpy:          axpyAVX512,
	fill:          fillAVX512,
	addConst:      addConstAVX512,
	scaleShift:    scaleShiftAVX512,
	sum:           sumAVX512,
	dot:           dotAVX512,
	sumSqDev:      sumSqDevAVX512,
	dotDev:        dotDevAVX512,
	expShift:      expShiftAVX512,
	softmaxXent:   softmaxXentAVX512,
	sigmoidXent:   sigmoidXentAVX512,
	absDiff:       absDiffAVX512,
	sgd:           sgdAVX512,
	sgdMomentum:   sgdMomentumAVX512,
	sgdNesterov:   sgdNesterovAVX512,
	rmsprop:       rmspropAVX512,
	adam:          adamAVX512,
	adadelta:      adadeltaAVX512,
	maxPool2:      maxPool2AVX512,
	maxPool2Grad:  maxPool2GradAVX512,
}
