import DPQTensor
print(BLAS.coreName)
